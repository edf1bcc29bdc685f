package storetest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// RedisPrefix returns a key prefix that no other test uses, for a client
// of the Redis at url, and deletes every key under it when the test ends.
// It is to Redis what PostgresURL's fresh schema is to PostgreSQL: the
// server may be shared (with other tests, other packages, a developer's
// data), so cleanup goes key by key (SCAN and DEL), never FLUSHDB.
func RedisPrefix(t testing.TB, url string) string {
	t.Helper()
	prefix := "licensed-test:" + randomHex(8) + ":"
	t.Cleanup(func() {
		if err := deleteKeys(url, prefix); err != nil {
			t.Errorf("delete test keys %s*: %v", prefix, err)
		}
	})
	return prefix
}

func deleteKeys(url, prefix string) error {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return err
	}
	rdb := goredis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			if err := rdb.Del(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return rdb.Del(ctx, batch...).Err()
	}
	return nil
}

// RedisServer is a throwaway redis-server of the test's own, on a port of
// its own, which the test may stop and start again (on the same port) to
// show what an outage does; the shared Redis must never be stopped. It
// keeps nothing on disk, so a restarted server is empty.
type RedisServer struct {
	t    testing.TB
	bin  string
	port int

	mu     sync.Mutex
	cmd    *osexec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// StartRedisServer starts a RedisServer, stopped when the test ends. It
// skips the test when redis-server is not on PATH, or fails it when
// LICENSED_TEST_REQUIRE_SERVICES=1.
func StartRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	bin, err := osexec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(EnvRequireServices) == "1" {
			t.Fatalf("redis-server is not on PATH but %s=1 requires it", EnvRequireServices)
		}
		t.Skip("redis-server is not on PATH; install it to run this test")
	}
	s := &RedisServer{t: t, bin: bin}
	t.Cleanup(s.Stop)
	for attempt := 0; ; attempt++ {
		s.port = freePort(t)
		err := s.start()
		if err == nil {
			return s
		}
		if attempt == 2 {
			t.Fatalf("start redis-server: %v", err)
		}
	}
}

// URL is the server's redis:// URL, the same across restarts.
func (s *RedisServer) URL() string {
	return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port)
}

// Start starts the server again after Stop, on the same port, and returns
// once it answers.
func (s *RedisServer) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("restart redis-server: %v", err)
	}
}

// Stop kills the server (SIGKILL, as a crash would) and waits for it to
// exit; connections to it break and new ones are refused.
func (s *RedisServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

func (s *RedisServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return fmt.Errorf("already running")
	}
	out := new(bytes.Buffer)
	cmd := osexec.Command(s.bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.t.TempDir(),
		"--protected-mode", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if !waitReady(s.port, exited) {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("redis-server on port %d did not answer: %s", s.port, out)
	}
	s.cmd, s.exited = cmd, exited
	return nil
}

// waitReady polls the port until the server answers PING, for up to five
// seconds, and gives up early if the server exits (its port was taken).
func waitReady(port int, exited <-chan struct{}) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if ping(port) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func ping(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 100*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
