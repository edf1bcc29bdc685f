package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthcheck is the container's HEALTHCHECK: the image has no shell, curl
// or wget, so the binary asks the server itself. It GETs /healthz on the
// configured listen address (LICENSED_ADDR / --addr; an unspecified host
// such as 0.0.0.0 is asked on loopback) and succeeds only on 200 within
// --timeout. Exit status: 0 healthy, 1 not.
func (m *Main) healthcheck(ctx context.Context, timeout time.Duration) error {
	url, err := healthURL(m.Config.Addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, res.Status)
	}
	fmt.Fprintln(m.Stdout, "ok")
	return nil
}

// healthURL is the /healthz URL of a listen address; a wildcard or empty
// host means the server listens on loopback too.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usagef("healthcheck: listen address %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}

// runHealthcheck parses healthcheck's flags (the configuration, for the
// address, plus --timeout) and runs it; it opens no store.
func (m *Main) runHealthcheck(ctx context.Context, args []string) error {
	timeout := 3 * time.Second
	own := func(fs *flag.FlagSet) {
		fs.DurationVar(&timeout, "timeout", timeout, "how long to wait for the answer")
	}
	return m.run(ctx, "healthcheck", args, own, func(ctx context.Context) error { return m.healthcheck(ctx, timeout) })
}
