package migrations

import (
	"context"
	"fmt"
	"os"
	"time"
)

// lockFile takes an exclusive lock on path, creating the file if need be,
// and waits for it until ctx ends. The lock is tied to the open file, so
// the operating system releases it if the process dies while migrating.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			return func() { f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another migration to finish (%s): %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
