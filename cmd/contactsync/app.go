package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/contactsync/contactsync/config"
)

// Main is the contactsync program: the command line, the configuration and
// the resources a subcommand opens. Tests build one with its fields set and
// call Run, as main does.
type Main struct {
	// Args are the command-line arguments after the program name.
	Args []string
	// LookupEnv reads the environment (os.LookupEnv outside tests).
	LookupEnv func(string) (string, bool)
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer

	// Config is set by loadConfig, once a subcommand has parsed its flags.
	Config config.Config
	// Logger is built from Config by loadConfig; it writes to Stderr.
	Logger *slog.Logger

	// OnListen, when set, is called with the address the HTTP server of
	// serve or demo is bound to (tests listen on port 0).
	OnListen func(net.Addr)

	// closers are released by Close, last opened first.
	closers []func() error
}

// NewMain returns a Main reading the process's arguments and environment.
func NewMain() *Main {
	return &Main{
		Args:      os.Args[1:],
		LookupEnv: os.LookupEnv,
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
}

// Run runs the subcommand named by Args[0] until it finishes or ctx is
// cancelled.
func (m *Main) Run(ctx context.Context) error {
	if len(m.Args) == 0 {
		m.usage(m.Stderr)
		return usagef("no command given")
	}
	name, args := m.Args[0], m.Args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return m.runHelp(args)
	}
	cmd, ok := lookupCommand(name)
	if !ok {
		return usagef("unknown command %q", name)
	}
	err := cmd.run(ctx, m, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the FlagSet printed the command's usage
	}
	return err
}

// Close releases what the subcommand opened, last opened first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// onClose registers fn to run in Close.
func (m *Main) onClose(fn func() error) { m.closers = append(m.closers, fn) }

// newFlagSet returns a FlagSet for a subcommand that reports errors instead
// of exiting and prints usage to Stderr.
func (m *Main) newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "usage: contactsync %s\n", usage)
		if hasFlags(fs) {
			fmt.Fprintln(m.Stderr, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// configFlag registers --config on fs; pass the result to loadConfig after
// parsing.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "YAML or JSON `file` with field mappings and workspace defaults")
}

// parseFlags parses args into fs, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	return nil
}

// loadConfig reads and validates the configuration and builds the logger
// it asks for.
func (m *Main) loadConfig(file string) error {
	c, err := config.Load(m.LookupEnv, file)
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", indent(err))
	}
	m.Config = c
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if c.LogFormat == config.LogJSON {
		m.Logger = slog.New(slog.NewJSONHandler(m.Stderr, opts))
	} else {
		m.Logger = slog.New(slog.NewTextHandler(m.Stderr, opts))
	}
	return nil
}

// indent puts each line of err on its own indented line, so that several
// configuration errors read as a list.
func indent(err error) error {
	return errors.New("  " + strings.ReplaceAll(err.Error(), "\n", "\n  "))
}
