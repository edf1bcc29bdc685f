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

// sample is what one or more measurements of a workload saw.
type sample struct {
	lat     []time.Duration // of the successes
	errors  int
	elapsed time.Duration
}

func (s *sample) add(o sample) {
	s.lat = append(s.lat, o.lat...)
	s.errors += o.errors
	s.elapsed += o.elapsed
}

func (s sample) result() result {
	all := slices.Clone(s.lat)
	slices.Sort(all)
	r := result{ok: len(all), errors: s.errors}
	if s.elapsed > 0 {
		r.rps = float64(len(all)) / s.elapsed.Seconds()
	}
	if len(all) > 0 {
		r.p50 = all[len(all)/2].Round(10 * time.Microsecond)
		r.p99 = all[len(all)*99/100].Round(10 * time.Microsecond)
	}
	return r
}

// paired measures op and the bare ceiling in alternating slices, d of
// each in all: on a machine whose load changes by the second, both see the
// same load, and the ratio of their rates is what the run is for.
func paired(ctx context.Context, c *http.Client, op, bare workload, conns int, d, slice time.Duration) (opRes, bareRes result) {
	var o, b sample
	for done := time.Duration(0); done < d; done += slice {
		b.add(drive(ctx, c, bare, conns, min(slice, d-done)))
		o.add(drive(ctx, c, op, conns, min(slice, d-done)))
	}
	return o.result(), b.result()
}

// drive runs conns workers in a closed loop for d: each sends its next
// request when the last one has answered, until d has passed; requests in
// flight then are waited for (and counted), never cut, so that the
// connections stay open for the next measurement. Only successes are
// timed; errors are counted beside them.
func drive(ctx context.Context, c *http.Client, wl workload, conns int, d time.Duration) sample {
	lat := make([][]time.Duration, conns)
	errs := make([]int, conns)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[w] = make([]time.Duration, 0, 1024)
			for n := 0; ctx.Err() == nil && time.Now().Before(deadline); n++ {
				t0 := time.Now()
				if do(ctx, c, wl.next(w, n), wl.want) {
					lat[w] = append(lat[w], time.Since(t0))
				} else {
					errs[w]++
				}
			}
		}()
	}
	wg.Wait()
	s := sample{elapsed: time.Since(start)}
	for w := range conns {
		s.lat = append(s.lat, lat[w]...)
		s.errors += errs[w]
	}
	return s
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
