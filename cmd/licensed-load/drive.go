package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// request is one request of a workload.
type request struct {
	method, url, auth string
	body              []byte
}

// workload makes the n-th request of worker w; want is the status a
// request must answer to count as a success.
type workload struct {
	name string
	next func(w, n int) request
	want int
}

type result struct {
	rps      float64
	p50, p99 time.Duration
	ok       int
	errors   int
}

// drive runs conns workers in a closed loop for d: each sends its next
// request when the last one has answered. Only successes are counted in the
// rate and the latencies; errors are reported beside them.
func drive(ctx context.Context, c *http.Client, wl workload, conns int, d time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	lat := make([][]time.Duration, conns)
	errs := make([]int, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[w] = make([]time.Duration, 0, 4096)
			for n := 0; ctx.Err() == nil; n++ {
				t0 := time.Now()
				if do(ctx, c, wl.next(w, n), wl.want) {
					lat[w] = append(lat[w], time.Since(t0))
				} else if ctx.Err() == nil {
					errs[w]++
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	r := result{}
	for w := range conns {
		all = append(all, lat[w]...)
		r.errors += errs[w]
	}
	slices.Sort(all)
	r.ok = len(all)
	r.rps = float64(len(all)) / elapsed.Seconds()
	if len(all) > 0 {
		r.p50 = all[len(all)/2].Round(10 * time.Microsecond)
		r.p99 = all[len(all)*99/100].Round(10 * time.Microsecond)
	}
	return r
}

// do sends r and reads the whole answer (so the connection is reused).
func do(ctx context.Context, c *http.Client, r request, want int) bool {
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return false
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.auth != "" {
		req.Header.Set("Authorization", "Bearer "+r.auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == want
}
