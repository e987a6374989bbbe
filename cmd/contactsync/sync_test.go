package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

func TestSync_PrintsSummaryAndAudit(t *testing.T) {
	sim := salesforcetest.NewServer(salesforcetest.Options{Contacts: 25, Seed: 3})
	t.Cleanup(sim.Close)
	dbURL := storetest.SQLiteURL(t)
	env := simEnv(sim, dbURL)

	// A dry run decides and audits without writing.
	out, _, err := execMain(t, env, "sync", "--dry-run")
	if err != nil {
		t.Fatalf("sync --dry-run: %v", err)
	}
	audit, sums := splitOutput(t, out)
	if len(sums) != 1 || sums[0].Workspace != "default" || sums[0].Pulled != 25 {
		t.Fatalf("dry run summaries = %+v, want one for default with 25 pulled", sums)
	}
	if len(audit) != 25 {
		t.Errorf("dry run wrote %d audit lines, want 25", len(audit))
	}
	st := openTestStore(t, dbURL)
	if cur, err := st.Cursor(t.Context(), "default"); err != nil || cur != (contactsync.Cursor{}) {
		t.Fatalf("after a dry run cursor = %+v, %v; want none", cur, err)
	}

	// With auto-create off (the default) every new record is skipped.
	out, _, err = execMain(t, env, "sync")
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	audit, sums = splitOutput(t, out)
	if len(sums) != 1 || sums[0].Pulled != 25 || sums[0].Skipped != 25 || sums[0].APICalls == 0 || sums[0].Error != "" {
		t.Fatalf("summary = %+v, want 25 pulled and skipped with API calls", sums)
	}
	for _, a := range audit {
		if a["decision"] != "skipped" || a["workspace"] != "default" {
			t.Fatalf("audit line %v, want a skipped decision in default", a)
		}
	}
	if cur, err := st.Cursor(t.Context(), "default"); err != nil || cur == (contactsync.Cursor{}) {
		t.Fatalf("cursor after sync = %+v, %v; want one", cur, err)
	}
	// The environment's refresh token was stored encrypted.
	conn, err := st.Connection(t.Context(), "default")
	if err != nil || conn.RefreshToken != sim.Options().RefreshToken {
		t.Fatalf("stored connection = %v, %v", conn, err)
	}
}

func TestSync_FailsOnRevokedToken(t *testing.T) {
	sim := salesforcetest.NewServer(salesforcetest.Options{Contacts: 3, Seed: 3})
	t.Cleanup(sim.Close)
	dbURL := storetest.SQLiteURL(t)
	env := simEnv(sim, dbURL)
	sim.RevokeRefreshTokens()

	out, _, err := execMain(t, env, "sync")
	if err == nil || !strings.Contains(err.Error(), "sync failed for 1 of 1 workspaces") {
		t.Fatalf("sync with a revoked token: err = %v", err)
	}
	_, sums := splitOutput(t, out)
	if len(sums) != 1 || !strings.Contains(sums[0].Error, "re-authorization required") {
		t.Fatalf("summaries = %+v, want one with the reauth error", sums)
	}
	st := openTestStore(t, dbURL)
	conn, err := st.Connection(t.Context(), "default")
	if err != nil || conn.State != contactsync.StateNeedsReauth {
		t.Fatalf("connection = %v, %v; want needs_reauth", conn, err)
	}
	// The rejection is latched: the next run asks Salesforce for no token.
	before := sim.Stats().TokenRequests
	if _, _, err := execMain(t, env, "sync"); !errors.Is(err, contactsync.ErrReauthRequired) && (err == nil || !strings.Contains(err.Error(), "re-authorization")) {
		t.Fatalf("second sync: err = %v, want re-authorization required", err)
	}
	if got := sim.Stats().TokenRequests; got != before {
		t.Errorf("second sync made %d token requests, want 0 (latched)", got-before)
	}
}

func TestSync_UnknownWorkspace(t *testing.T) {
	sim := salesforcetest.NewServer(salesforcetest.Options{})
	t.Cleanup(sim.Close)
	_, _, err := execMain(t, simEnv(sim, storetest.SQLiteURL(t)), "sync", "--workspace", "nope")
	if err == nil || !strings.Contains(err.Error(), `workspace "nope"`) {
		t.Fatalf("err = %v, want it to name the workspace", err)
	}
}
