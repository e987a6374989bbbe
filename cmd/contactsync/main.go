package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first SIGINT or SIGTERM cancels ctx and starts a graceful
	// shutdown; a second one exits at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // restore default handling: the next signal kills the process
	}()

	m := NewMain()
	err := m.Run(ctx)
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	stop()
	os.Exit(exitCode(m.Stderr, err))
}

// exitCode reports err on w and returns the process exit status: 0 for
// success, 2 for a usage error, 1 otherwise.
func exitCode(w io.Writer, err error) int {
	var uerr *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &uerr):
		fmt.Fprintln(w, "contactsync:", err)
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "contactsync: interrupted")
		return 1
	default:
		fmt.Fprintln(w, "contactsync:", err)
		return 1
	}
}

// usageError is a mistake on the command line; the process exits with 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg + " (see contactsync help)" }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
