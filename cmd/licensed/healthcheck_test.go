package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheck: the container's HEALTHCHECK succeeds against a running
// server on its configured address, and fails (non-zero exit) when nothing
// listens, when /healthz answers other than 200, and when the server does
// not answer within --timeout.
func TestHealthcheck(t *testing.T) {
	s := serve(t, backends[0].env(t))
	addr := strings.TrimPrefix(s.URL(), "http://")
	out, errOut, err := cli(t, map[string]string{"LICENSED_ADDR": addr}, "healthcheck")
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("healthcheck of a running server: %v %q %q", err, out, errOut)
	}
	// The image listens on 0.0.0.0: the check asks loopback.
	_, port, _ := net.SplitHostPort(addr)
	if _, _, err := cli(t, nil, "healthcheck", "--addr", "0.0.0.0:"+port); err != nil {
		t.Fatalf("healthcheck on 0.0.0.0:%s: %v", port, err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if _, _, err := cli(t, nil, "healthcheck", "--addr", closed); err == nil {
		t.Error("healthcheck succeeded with nothing listening")
	}

	unhealthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			t.Errorf("healthcheck asked %s", r.URL.Path)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer unhealthy.Close()
	if _, _, err := cli(t, nil, "healthcheck", "--addr", strings.TrimPrefix(unhealthy.URL, "http://")); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("healthcheck of a 503: %v", err)
	}

	// A listener that accepts and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	if _, _, err := cli(t, nil, "healthcheck", "--addr", silent.Addr().String(), "--timeout", "200ms"); err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("healthcheck of a silent server: %v", err)
	}

	if _, _, err := cli(t, nil, "healthcheck", "--addr", "nonsense"); err == nil {
		t.Error("healthcheck took a malformed address")
	}
}
