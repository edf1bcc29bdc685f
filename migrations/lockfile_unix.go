//go:build unix

package migrations

import (
	"errors"
	"os"
	"syscall"
)

// tryLock reports false when another open file holds the lock, in this
// process or another.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR) {
		return false, nil
	}
	return err == nil, err
}
