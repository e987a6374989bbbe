package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/contactsync/contactsync/config"
	contactsync "github.com/contactsync/contactsync/sync"
)

const syncUsage = `sync [--config FILE] [--dry-run] [--backfill] [--workspace W]

Runs one sync pass (pull from Salesforce, then push local changes) for every
workspace, or only W, and prints each workspace's run summary as one JSON line
on stdout. Audit lines go to CONTACTSYNC_AUDIT_LOG (stdout by default: they
carry "msg":"audit", summary lines do not). Exits non-zero when a pass failed.`

func runSync(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("sync", syncUsage)
	file := configFlag(fs)
	dryRun := fs.Bool("dry-run", false, "decide and audit every record without writing anything")
	backfill := fs.Bool("backfill", false, "read the org from the beginning, auto-creating contacts created before auto-create was switched on")
	only := fs.String("workspace", "", "sync only this `workspace`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("sync takes no arguments")
	}
	if err := m.loadConfig(*file); err != nil {
		return err
	}
	out := &lockedWriter{w: m.Stdout}
	o := wireOptions{migrate: true}
	if m.Config.AuditLog == config.AuditStdout {
		o.auditOut = out
	}
	a, err := m.wire(ctx, o)
	if err != nil {
		return err
	}

	var ids []string
	if *only != "" {
		if _, err := a.store.Workspace(ctx, *only); err != nil {
			return fmt.Errorf("workspace %q: %w", *only, err)
		}
		ids = []string{*only}
	} else {
		wss, err := a.store.Workspaces(ctx)
		if err != nil {
			return fmt.Errorf("list workspaces: %w", err)
		}
		for _, ws := range wss {
			ids = append(ids, ws.ID)
		}
	}

	opts := contactsync.Options{DryRun: *dryRun, Backfill: *backfill}
	var failed []string
	for _, ws := range ids {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sum, err := a.engine.RunWorkspace(ctx, ws, opts)
		if errors.Is(err, contactsync.ErrLeaseHeld) {
			m.Logger.Warn("workspace skipped: another process is syncing it", "workspace", ws)
			continue
		}
		line, jerr := json.Marshal(sum)
		if jerr != nil {
			return fmt.Errorf("encode run summary: %w", jerr)
		}
		fmt.Fprintf(out, "%s\n", line)
		if err != nil {
			m.Logger.Error("sync pass failed", "workspace", ws, "err", err)
			failed = append(failed, fmt.Sprintf("%s: %v", ws, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("sync failed for %d of %d workspaces:\n  %s", len(failed), len(ids), strings.Join(failed, "\n  "))
	}
	return nil
}
