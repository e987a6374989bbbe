package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/contactsync/contactsync/store"
)

const migrateUsage = `migrate [--config FILE] up|down|status

  up      apply every pending migration (safe to run from several replicas at once)
  down    roll back the most recent migration
  status  list migrations and whether each is applied

The database is CONTACTSYNC_DATABASE_URL.`

func runMigrate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("migrate", migrateUsage)
	file := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usagef("migrate wants one of up, down or status")
	}
	action := fs.Arg(0)
	if action != "up" && action != "down" && action != "status" {
		return usagef("migrate: unknown action %q (want up, down or status)", action)
	}
	if err := m.loadConfig(*file); err != nil {
		return err
	}
	s, err := m.openStore(ctx, false)
	if err != nil {
		return err
	}
	switch action {
	case "up":
		if err := s.MigrateUp(ctx); err != nil {
			return err
		}
	case "down":
		if err := s.MigrateDown(ctx); err != nil {
			return err
		}
	}
	return m.printMigrations(ctx, s)
}

func (m *Main) printMigrations(ctx context.Context, s *store.Store) error {
	st, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
	for _, ms := range st {
		state, at := "pending", "-"
		if ms.Applied {
			state, at = "applied", ms.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", ms.Version, ms.Name, state, at)
	}
	return tw.Flush()
}
