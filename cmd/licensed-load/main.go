package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

type options struct {
	url, adminKey, label, jsonOut string
	conns, reps, licenses         int
	duration, slice               time.Duration
	ops                           []string
}

// ops are the operations that can be driven, in report order.
var allOps = []string{"validate", "validate-activation", "activate", "provision", "search"}

func main() {
	var o options
	var ops string
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of the running server")
	flag.StringVar(&o.adminKey, "admin-key", os.Getenv("LICENSED_LOAD_ADMIN_KEY"), "platform API key with the admin scope (default $LICENSED_LOAD_ADMIN_KEY), to seed through the API")
	flag.StringVar(&o.label, "label", "", "name of this run in the report (the store shape)")
	flag.StringVar(&o.jsonOut, "json", "", "also write the results to this file, as JSON")
	flag.IntVar(&o.conns, "conns", 32, "connections, each with one request in flight")
	flag.IntVar(&o.reps, "reps", 3, "repetitions, interleaved; the report gives medians")
	flag.IntVar(&o.licenses, "licenses", 64, "licenses seeded for validation (each with one activation)")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each measurement of an operation (and as long of the ceiling beside it)")
	flag.DurationVar(&o.slice, "slice", 500*time.Millisecond, "the operation and the ceiling alternate in slices this long")
	flag.StringVar(&ops, "ops", strings.Join(allOps, ","), "operations to drive, of "+strings.Join(allOps, ","))
	flag.Parse()
	o.ops = strings.Split(ops, ",")
	for _, op := range o.ops {
		if !slices.Contains(allOps, op) {
			fmt.Fprintf(os.Stderr, "licensed-load: unknown operation %q\n", op)
			os.Exit(2)
		}
	}
	if o.adminKey == "" {
		fmt.Fprintln(os.Stderr, "licensed-load: -admin-key (or LICENSED_LOAD_ADMIN_KEY) is required")
		os.Exit(2)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "licensed-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	client := newClient(o.conns)
	fx, err := seed(ctx, client, strings.TrimRight(o.url, "/"), o.adminKey, o.licenses)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	bare, stop, err := startBare()
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(os.Stderr, "seeded brand %s: %d licenses; %d connections, %v each (alternating with the ceiling every %v), %d repetitions\n",
		fx.brand, o.licenses, o.conns, o.duration, o.slice, o.reps)

	results := map[string][]pair{}
	for rep := range o.reps {
		for _, name := range o.ops {
			op, b := paired(ctx, client, fx.workload(name), bareWorkload(bare), o.conns, o.duration, o.slice)
			fmt.Fprintf(os.Stderr, "rep %d %-20s %9.0f req/s  p50 %-8v p99 %-8v errors %d   bare %9.0f req/s  ratio %.3f\n",
				rep+1, name, op.rps, op.p50, op.p99, op.errors, b.rps, op.rps/b.rps)
			results[name] = append(results[name], pair{op: op, bare: b})
		}
	}
	rep := report(o, results)
	fmt.Print(rep.markdown())
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(o.jsonOut, b, 0o644)
	}
	return nil
}

// newClient keeps up to conns connections to each host alive, so that a
// closed loop of conns workers reuses them and measures requests, not
// connection setup.
func newClient(conns int) *http.Client {
	t := &http.Transport{
		MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		IdleConnTimeout: time.Minute, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// bareBody is the ceiling's answer: about 200 bytes of JSON, the size of a
// small API answer.
var bareBody = []byte(`{"valid":true,"code":"VALID","licenses":[{"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","product":"load/pro","status":"active","seats":1000,"seats_used":1,"expires_at":null,"entitlements":[]}]}` + "\n")

// startBare serves the ceiling: a bare net/http handler, in this process.
func startBare() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bareBody)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

func bareWorkload(url string) workload {
	body := []byte(`{"license_key":"LK-XXXX","product":"load/pro"}`)
	return workload{name: "bare", next: func(int, int) request {
		return request{method: http.MethodPost, url: url + "/v1/validate", body: body}
	}, want: http.StatusOK}
}
