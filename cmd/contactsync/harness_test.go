package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/config"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// testSecretKey is CONTACTSYNC_SECRET_KEY in tests (64 hex characters).
var testSecretKey = hex.EncodeToString(storetest.SecretKey)

// simEnv returns an environment pointing contactsync at sim and the
// database dbURL, with the connected app's credentials and the sim's
// refresh token.
func simEnv(sim *salesforcetest.Server, dbURL string) map[string]string {
	o := sim.Options()
	return map[string]string{
		config.EnvDatabaseURL:            dbURL,
		config.EnvSalesforceLoginURL:     sim.LoginURL,
		config.EnvSalesforceClientID:     o.ClientID,
		config.EnvSalesforceClientSecret: o.ClientSecret,
		config.EnvSalesforceRefreshToken: o.RefreshToken,
		config.EnvSecretKey:              testSecretKey,
		config.EnvSchedule:               "@every 1h",
		config.EnvHTTPAddr:               "127.0.0.1:0",
	}
}

// openTestStore opens the database a command used, to check its state.
func openTestStore(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), url, store.Options{SecretKey: storetest.SecretKey})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// splitOutput separates JSON lines printed on stdout into audit lines and
// the other JSON lines (run summaries).
func splitOutput(t *testing.T, out string) (audit []map[string]any, summaries []contactsync.RunSummary) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		if m["msg"] == "audit" {
			audit = append(audit, m)
			continue
		}
		if _, ok := m["run_id"]; ok {
			var s contactsync.RunSummary
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				t.Fatalf("bad summary %q: %v", line, err)
			}
			summaries = append(summaries, s)
		}
	}
	return audit, summaries
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
