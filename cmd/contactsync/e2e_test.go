package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/config"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

const e2eToken = "e2e-admin-token-0123456789abcdef"

// TestServe_EndToEnd runs `contactsync serve` through Main on 127.0.0.1:0
// against the simulated org, on SQLite and on PostgreSQL: auto-create is
// switched on through the admin API, a sync creates tagged contacts, a
// patched contact reaches the org, and cancelling the context shuts down
// cleanly (TestMain checks for leaked goroutines).
func TestServe_EndToEnd(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testServeEndToEnd(t, storetest.SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { testServeEndToEnd(t, storetest.PostgresURL(t, false)) })
}

func testServeEndToEnd(t *testing.T, dbURL string) {
	sim := salesforcetest.NewServer(salesforcetest.Options{Contacts: 10, Seed: 11})
	t.Cleanup(sim.Close)
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	env := simEnv(sim, dbURL)
	env[config.EnvAdminToken] = e2eToken
	env[config.EnvAuditLog] = auditPath

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	m := &Main{
		Args:      []string{"serve"},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Stdin:     strings.NewReader(""),
		Stdout:    stdout,
		Stderr:    stderr,
		OnListen:  func(a net.Addr) { addrc <- a },
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("serve exited before listening: %v\n%s", err, stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not listen within 30s")
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	call := func(method, path, body string, want int) map[string]any {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, base+path, r)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e2eToken)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		var out map[string]any
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, b)
			}
		}
		return out
	}

	call("GET", "/readyz", "", http.StatusOK)
	// Without the token the API refuses.
	if resp, err := hc.Get(base + "/api/v1/contacts"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/contacts without a token: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}

	got := call("PATCH", "/admin/v1/settings", `{"auto_create": true}`, http.StatusOK)
	if got["auto_create"] != true {
		t.Fatalf("settings after PATCH = %v", got)
	}
	// Auto-create takes records created from now on (CreatedDate has
	// second precision).
	time.Sleep(1100 * time.Millisecond)
	var created []string
	for i := range 3 {
		id, err := sim.CreateRecord("Contact", map[string]any{
			"FirstName": fmt.Sprintf("New%d", i), "LastName": "Customer",
			"Email": fmt.Sprintf("new.customer.%d@example.org", i), "Phone": fmt.Sprintf("(415) 555-01%02d", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, id)
	}

	sum := call("POST", "/admin/v1/sync?wait=true", "", http.StatusOK)
	if sum["created"] != float64(3) || sum["pulled"] != float64(13) {
		t.Fatalf("first sync summary = %v, want 13 pulled and 3 created", sum)
	}

	list := call("GET", "/api/v1/contacts?tag="+url.QueryEscape(contactsync.TagAutoCreatedSalesforce), "", http.StatusOK)
	contacts, _ := list["contacts"].([]any)
	if len(contacts) != 3 {
		t.Fatalf("tagged contacts = %v, want 3", list)
	}
	first := contacts[0].(map[string]any)
	sfID, _ := first["salesforce_id"].(string)
	if !contains(created, sfID) {
		t.Fatalf("tagged contact %v is linked to %q, not to one of %v", first, sfID, created)
	}

	id := int64(first["id"].(float64))
	patched := call("PATCH", fmt.Sprintf("/api/v1/contacts/%d", id), `{"first_name": "Renamed", "title": "Head of Support"}`, http.StatusOK)
	if patched["first_name"] != "Renamed" {
		t.Fatalf("patched contact = %v", patched)
	}
	sum = call("POST", "/admin/v1/sync?wait=true", "", http.StatusOK)
	if sum["pushed"] != float64(1) {
		t.Fatalf("second sync summary = %v, want 1 pushed", sum)
	}
	rec, ok := sim.Record("Contact", sfID)
	if !ok || rec["FirstName"] != "Renamed" || rec["Title"] != "Head of Support" {
		t.Fatalf("Salesforce record after push = %v", rec)
	}

	status := call("GET", "/admin/v1/status", "", http.StatusOK)
	if b, _ := json.Marshal(status); !strings.Contains(string(b), `"connected"`) {
		t.Errorf("status does not show the connection as connected: %s", b)
	}

	// Clean shutdown: Run returns nil on a cancelled context, Close
	// closes the database.
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel\n%s", err, stderr)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop within a minute of cancel")
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := hc.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}

	b, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"decision":"created"`, `"decision":"pushed"`, `"decision":"settings_changed"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("audit log lacks %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "new.customer.0@example.org") {
		t.Error("audit log holds an unmasked email")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
