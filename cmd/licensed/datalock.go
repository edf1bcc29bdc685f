package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// lockFileName is the file in the data dir whose lock `serve` holds: one
// process per SQLite data dir. Two servers on one file would each keep an
// in-process snapshot cache that the other's writes never invalidate (a
// suspension through one answered VALID on the other for minutes).
const lockFileName = "serve.lock"

// dataLock is the held lock; closing its file releases it, and so does the
// kernel when the process dies, however it dies: a stale lock file never
// blocks the next start.
type dataLock struct {
	f *os.File
}

// lockHolder is what the lock file says about the process that holds it.
type lockHolder struct {
	PID   int    `json:"pid"`
	Addr  string `json:"addr,omitempty"`
	Since string `json:"since"`
}

// errDataDirInUse is returned when another process serves the data dir.
var errDataDirInUse = errors.New("the data dir is in use")

// lockDataDir takes the lock without waiting, or fails naming the process
// that holds it.
func lockDataDir(dir string) (*dataLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		holder := describeHolder(f)
		f.Close()
		return nil, fmt.Errorf("%w: another licensed serve (%s) serves %s; stop it first, or run several replicas on PostgreSQL (LICENSED_DATABASE_URL). Admin commands work beside it",
			errDataDirInUse, holder, dir)
	}
	l := &dataLock{f: f}
	return l, l.record(lockHolder{PID: os.Getpid(), Since: time.Now().UTC().Format(time.RFC3339)})
}

// record writes who holds the lock, for the message of the next one to try.
func (l *dataLock) record(h lockHolder) error {
	b, _ := json.Marshal(h)
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt(append(b, '\n'), 0)
	return err
}

// setAddr adds the listen address once it is known.
func (l *dataLock) setAddr(addr string) error {
	var h lockHolder
	b := make([]byte, 512)
	n, _ := l.f.ReadAt(b, 0)
	_ = json.Unmarshal(b[:n], &h)
	h.Addr = addr
	return l.record(h)
}

func (l *dataLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

func describeHolder(f *os.File) string {
	b := make([]byte, 512)
	n, _ := f.ReadAt(b, 0)
	var h lockHolder
	if json.Unmarshal(b[:n], &h) != nil || h.PID == 0 {
		return "a process that has not said who it is yet"
	}
	parts := []string{fmt.Sprintf("pid %d", h.PID)}
	if h.Addr != "" {
		parts = append(parts, "listening on "+h.Addr)
	}
	if h.Since != "" {
		parts = append(parts, "since "+h.Since)
	}
	return strings.Join(parts, ", ")
}
