package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// drive runs one operation against a running server with a fixed number
// of connections for a fixed time (closed loop) and prints req/s: the
// service side of docs/load/pgbench/run.sh, which runs pgbench on the same
// transaction shape beside it.
//
//	licensed-scale drive -url http://127.0.0.1:18080 -api-key lk_... \
//	    -brand bench -product pro -op provision|activate -conns 8 -duration 20s
func drive(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("drive", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:18080", "the server")
	apiKey := fs.String("api-key", "", "a brand API key with licenses:write")
	brand := fs.String("brand", "", "brand slug")
	product := fs.String("product", "", "product slug")
	op := fs.String("op", "provision", "provision (a new customer's first license), activate (a new instance on an existing license), validate (one license, one seat: its activation token) or healthz (GET /healthz, the bare-HTTP baseline)")
	conns := fs.Int("conns", 8, "concurrent connections")
	dur := fs.Duration("duration", 20*time.Second, "how long")
	pool := fs.Int("licenses", 1000, "activate: licenses provisioned first, whose seats the activations take")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c := &client{base: *base, apiKey: *apiKey, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns}}}
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	var next atomic.Int64
	var do func(ctx context.Context, rng *rand.Rand) error
	switch *op {
	case "provision":
		do = func(ctx context.Context, _ *rand.Rand) error {
			n := next.Add(1)
			_, err := c.post(ctx, "/v1/licenses", map[string]any{"customer_email": run + "-" + strconv.FormatInt(n, 10) + "@drive.example", "product": *product}, http.StatusCreated)
			return err
		}
	case "activate":
		keys := make([]string, *pool)
		for i := range keys {
			body, err := c.post(ctx, "/v1/licenses", map[string]any{"customer_email": run + "-pool-" + strconv.Itoa(i) + "@drive.example",
				"product": *product, "seats": 100000}, http.StatusCreated)
			if err != nil {
				return err
			}
			var out struct {
				LicenseKey string `json:"license_key"`
			}
			if err := json.Unmarshal(body, &out); err != nil {
				return err
			}
			keys[i] = out.LicenseKey
		}
		do = func(ctx context.Context, rng *rand.Rand) error {
			n := next.Add(1)
			_, err := c.post(ctx, "/v1/activate", map[string]any{"license_key": keys[rng.IntN(len(keys))],
				"product": *brand + "/" + *product, "instance": "https://" + run + "-" + strconv.FormatInt(n, 10) + ".bench-load.net"}, http.StatusCreated)
			return err
		}
	case "validate":
		body, err := c.post(ctx, "/v1/licenses", map[string]any{"customer_email": run + "-validate@drive.example", "product": *product, "seats": 10}, http.StatusCreated)
		if err != nil {
			return err
		}
		var out struct {
			LicenseKey string `json:"license_key"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			return err
		}
		req := map[string]any{"license_key": out.LicenseKey, "product": *brand + "/" + *product, "instance": "https://validate.bench-load.net"}
		if _, err := c.post(ctx, "/v1/activate", req, http.StatusCreated); err != nil {
			return err
		}
		do = func(ctx context.Context, _ *rand.Rand) error {
			_, err := c.post(ctx, "/v1/validate", req, http.StatusOK)
			return err
		}
	case "healthz":
		do = func(ctx context.Context, _ *rand.Rand) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/healthz", nil)
			if err != nil {
				return err
			}
			resp, err := c.http.Do(req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return err
		}
	default:
		return fmt.Errorf("unknown -op %q", *op)
	}
	ctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *conns)
	start := time.Now()
	for g := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), uint64(start.UnixNano())))
			for ctx.Err() == nil {
				if err := do(ctx, rng); err != nil {
					if ctx.Err() == nil {
						errs <- err
						cancel()
					}
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("%s: %d requests in %s on %d connections: %.1f req/s\n", *op, done.Load(), el.Round(time.Millisecond), *conns, float64(done.Load())/el.Seconds())
	return nil
}

type client struct {
	base, apiKey string
	http         *http.Client
}

func (c *client) post(ctx context.Context, path string, body any, want int) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, out)
	}
	return out, err
}
