// Command licensed is the license service: `licensed serve` runs it, the
// other subcommands administer the same store (see `licensed help`). Its
// HTTP contract and configuration are docs/API.md; the tokens it signs,
// docs/TOKENS.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	var usage usageError
	switch {
	case err == nil:
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "licensed:", err)
		fmt.Fprintln(os.Stderr, "run 'licensed help' for usage")
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "licensed:", err)
		os.Exit(1)
	}
}
