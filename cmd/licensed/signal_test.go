package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERM: the real binary serves on the embedded default, and on
// SIGTERM stops being ready, drains and exits 0.
func TestSIGTERM(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(binary(t), "serve", "--addr", "127.0.0.1:0", "--shutdown-delay", "500ms")
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "LICENSED_DATA_DIR=")
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			sc := bufio.NewScanner(stderr)
			var addr string
			var lines []string
			for addr == "" && sc.Scan() {
				lines = append(lines, sc.Text())
				var l struct{ Msg, Addr string }
				if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "serving" {
					addr = l.Addr
				}
			}
			if addr == "" {
				t.Fatalf("no serving line:\n%s", strings.Join(lines, "\n"))
			}
			if _, err := os.Stat(cmd.Dir + "/data/licensed.db"); err != nil {
				t.Fatalf("the embedded default did not create ./data/licensed.db: %v", err)
			}
			cmd.Process.Signal(sig)
			time.Sleep(150 * time.Millisecond)
			res, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				t.Fatalf("readyz during drain: %v", err)
			}
			res.Body.Close()
			if res.StatusCode != 503 {
				t.Fatalf("readyz during drain: %d", res.StatusCode)
			}
			go func() {
				for sc.Scan() {
				}
			}()
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit: %v", err)
			}
		})
	}
}
