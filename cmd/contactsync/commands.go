package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/contactsync/contactsync/config"
)

// command is one subcommand. Each lives in its own file; adding one means
// writing that file and adding a line to commands.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
}

// commands lists the subcommands in the order help shows them.
var commands = []command{
	{"serve", "run the scheduler and the HTTP admin and contacts API", runServe},
	{"sync", "run one sync pass for every workspace and print each run summary", runSync},
	{"migrate", "apply, roll back or list database migrations (up|down|status)", runMigrate},
	{"connect", "authorize a Salesforce org with the OAuth web-server flow and store the token", runConnect},
	{"doctor", "check configuration, database, Salesforce auth and API limits, with fixes", runDoctor},
	{"demo", "run everything in one process against a simulated org, no setup needed", runDemo},
	{"version", "print the version", runVersion},
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprint(w, `contactsync keeps a messaging platform's contact book and a Salesforce org in step.

usage: contactsync <command> [flags] [arguments]

commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	fmt.Fprintf(tw, "  %s\t%s\n", "help", "show this help, a command's flags (help <command>) or the environment (help config)")
	tw.Flush()
	fmt.Fprint(w, `
Configuration comes from CONTACTSYNC_* environment variables (contactsync help
config) and, for field mappings and workspace defaults, a --config file.
`)
}

// runHelp prints the overview, one command's usage, or the configuration
// variables.
func (m *Main) runHelp(args []string) error {
	switch {
	case len(args) == 0:
		m.usage(m.Stdout)
		return nil
	case len(args) > 1:
		return usagef("help takes at most one argument")
	case args[0] == "config":
		printVars(m.Stdout)
		return nil
	}
	cmd, ok := lookupCommand(args[0])
	if !ok {
		return usagef("unknown command %q", args[0])
	}
	// Subcommands print their usage on -h.
	m.Stderr = m.Stdout
	_ = cmd.run(context.Background(), m, []string{"-h"})
	return nil
}

func printVars(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tACCEPTS")
	for _, v := range config.Vars {
		def := v.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Name, def, v.Accepts)
	}
	tw.Flush()
}
