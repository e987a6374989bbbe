package main

import (
	"strings"
	"testing"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store/storetest"
)

func TestDoctor(t *testing.T) {
	tests := []struct {
		name  string
		setup func(sim *salesforcetest.Server)
		ok    bool
		want  []string
	}{
		{"OK", func(*salesforcetest.Server) {}, true,
			[]string{"PASS  config", "PASS  database", "PASS  connection", "PASS  token refresh", "PASS  rest api", "PASS  api budget"}},
		{"ErrAPIDisabled", func(s *salesforcetest.Server) { s.SetAPIDisabled(true) }, false,
			[]string{"PASS  token refresh", "FAIL  rest api", "API_DISABLED_FOR_ORG", "Profiles → (the user's profile) → Administrative Permissions → tick API Enabled"}},
		{"ErrRevokedToken", func(s *salesforcetest.Server) { s.RevokeRefreshTokens() }, false,
			[]string{"FAIL  token refresh", "invalid_grant", "fix: run `contactsync connect`"}},
		{"WarnBudget", func(s *salesforcetest.Server) { s.SetAPIUsage(95000) }, true,
			[]string{"WARN  api budget", "of 100000 daily API calls used"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := salesforcetest.NewServer(salesforcetest.Options{Contacts: 2})
			t.Cleanup(sim.Close)
			env := simEnv(sim, storetest.SQLiteURL(t))
			if _, _, err := execMain(t, env, "migrate", "up"); err != nil {
				t.Fatal(err)
			}
			tt.setup(sim)
			out, _, err := execMain(t, env, "doctor")
			if tt.ok != (err == nil) {
				t.Fatalf("doctor: err = %v, want ok=%v\n%s", err, tt.ok, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestDoctor_PendingMigrations(t *testing.T) {
	sim := salesforcetest.NewServer(salesforcetest.Options{})
	t.Cleanup(sim.Close)
	out, _, err := execMain(t, simEnv(sim, storetest.SQLiteURL(t)), "doctor")
	if err == nil || !strings.Contains(out, "FAIL  migrations") || !strings.Contains(out, "contactsync migrate up") {
		t.Fatalf("doctor on an empty database: err = %v\n%s", err, out)
	}
}
