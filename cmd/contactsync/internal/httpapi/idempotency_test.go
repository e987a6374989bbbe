package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// forEachDatabase runs fn on SQLite and Postgres with a function that opens
// another store on the same database, as another replica (or the same one
// after a restart) would.
func forEachDatabase(t *testing.T, fn func(t *testing.T, open func() *store.Store)) {
	t.Helper()
	run := func(t *testing.T, url string) {
		fn(t, func() *store.Store {
			t.Helper()
			s, err := store.Open(context.Background(), url, store.Options{SecretKey: storetest.SecretKey, Migrate: true})
			if err != nil {
				t.Fatalf("open store: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	}
	t.Run("sqlite", func(t *testing.T) { run(t, storetest.SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { run(t, storetest.PostgresURL(t, true)) })
}

// idemRow is an idempotency_keys row as stored.
type idemRow struct {
	RequestHash string
	State       string
	StatusCode  int
	Response    string
	Expires     bool // expires_at is 24 h after created_at, to the minute
}

func readIdemRows(t *testing.T, st *store.Store, ws string) map[string]idemRow {
	t.Helper()
	var rows []struct {
		Key, RequestHash, State, Response string
		StatusCode                        int
		Hours                             float64
	}
	q := "SELECT key, request_hash, state, status_code, response, EXTRACT(EPOCH FROM expires_at - created_at) / 3600 AS hours FROM idempotency_keys WHERE workspace_id = ?"
	if st.Dialect() == store.DialectSQLite {
		q = "SELECT key, request_hash, state, status_code, response, (julianday(expires_at) - julianday(created_at)) * 24 AS hours FROM idempotency_keys WHERE workspace_id = ?"
	}
	if err := st.DB().Raw(q, ws).Scan(&rows).Error; err != nil {
		t.Fatalf("read idempotency_keys: %v", err)
	}
	out := make(map[string]idemRow, len(rows))
	for _, r := range rows {
		out[r.Key] = idemRow{RequestHash: r.RequestHash, State: r.State, StatusCode: r.StatusCode, Response: r.Response,
			Expires: r.Hours > 23.98 && r.Hours < 24.02}
	}
	return out
}

// ago is the SQL expression for the database time d ago.
func ago(st *store.Store, d time.Duration) string {
	if st.Dialect() == store.DialectPostgres {
		return fmt.Sprintf("now() - make_interval(secs => %f)", d.Seconds())
	}
	return fmt.Sprintf("strftime('%%Y-%%m-%%d %%H:%%M:%%f+00:00','now','-%f seconds')", d.Seconds())
}

func mustExec(t *testing.T, st *store.Store, q string, args ...any) {
	t.Helper()
	if err := st.DB().Exec(q, args...).Error; err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestIdempotencyReplicas runs two Servers on one database and one org: a
// retry on the second replica, and on a third started later (a restart),
// gets the first's answer without a second Salesforce call.
func TestIdempotencyReplicas(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, open func() *store.Store) {
		a := newFixture(t, open(), fixtureOptions{})
		b := newFixture(t, open(), fixtureOptions{sim: a.sim})
		c := a.createContact(contactsync.Contact{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com"})
		path := fmt.Sprintf("/api/v1/contacts/%d/salesforce/leads", c.ID)
		lead := func(f *fixture, key, body string) response {
			return f.do(req{method: "POST", path: path, body: body, header: map[string]string{"Idempotency-Key": key}})
		}

		r := lead(a, "k1", `{"company":"Acme"}`)
		mustStatus(t, r, 201)
		id := r.json(t)["id"].(string)
		if r.header.Get("Idempotent-Replayed") != "" {
			t.Error("first answer marked replayed")
		}
		calls := a.sim.Stats().APICalls

		r = lead(b, "k1", `{"company":"Acme"}`)
		mustStatus(t, r, 201)
		if got := r.json(t)["id"]; got != id || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry on replica b = %v (replayed %q), want %s replayed", got, r.header.Get("Idempotent-Replayed"), id)
		}
		if got := a.sim.Stats().APICalls; got != calls {
			t.Errorf("the replay made %d Salesforce calls", got-calls)
		}
		if leads := a.sim.Records("Lead"); len(leads) != 1 || leads[0]["Id"] != id {
			t.Fatalf("leads = %v, want only %s", leads, id)
		}

		// A restarted process (a new Server and store on the same database)
		// still replays.
		restarted := newFixture(t, open(), fixtureOptions{sim: a.sim})
		r = lead(restarted, "k1", `{"company":"Acme"}`)
		mustStatus(t, r, 201)
		if r.json(t)["id"] != id || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry after restart = %s", r.body)
		}

		// The same key with another body, on either replica, is refused and
		// sends nothing.
		for _, f := range []*fixture{a, b} {
			r = lead(f, "k1", `{"company":"Other"}`)
			if r.status != 422 || r.errCode(t) != "idempotency_mismatch" {
				t.Errorf("other body = %d %s", r.status, r.body)
			}
		}
		if got := a.sim.Stats().APICalls; got != calls || len(a.sim.Records("Lead")) != 1 {
			t.Errorf("a refused request reached Salesforce (%d calls)", got-calls)
		}

		rows := readIdemRows(t, a.st, a.ws)
		row, ok := rows["k1"]
		if len(rows) != 1 || !ok || row.State != "done" || row.StatusCode != 201 || !strings.Contains(row.Response, id) ||
			len(row.RequestHash) != 64 || !row.Expires {
			t.Errorf("idempotency_keys = %+v", rows)
		}

		// Concurrent retries spread over both replicas create one Lead.
		const n = 8
		ids := make([]string, n)
		var wg gosync.WaitGroup
		for i := range n {
			f := []*fixture{a, b}[i%2]
			wg.Go(func() {
				r := f.do(req{method: "POST", path: path, body: `{"company":"Beta"}`, header: map[string]string{"Idempotency-Key": "k2"}})
				switch {
				case r.status == 201:
					ids[i], _ = r.json(t)["id"].(string)
				case r.status == 409 && r.errCode(t) == "request_in_progress":
				default:
					t.Errorf("concurrent request %d = %d %s", i, r.status, r.body)
				}
			})
		}
		wg.Wait()
		leads := a.sim.Records("Lead")
		if len(leads) != 2 {
			t.Fatalf("%d leads after concurrent retries, want 2", len(leads))
		}
		second := leads[1]["Id"].(string)
		created := 0
		for _, got := range ids {
			if got != "" {
				created++
				if got != second {
					t.Errorf("concurrent answers %v, want %s", ids, second)
				}
			}
		}
		if created == 0 {
			t.Errorf("no concurrent request got 201: %v", ids)
		}
		if row := readIdemRows(t, b.st, b.ws)["k2"]; row.State != "done" || !strings.Contains(row.Response, second) {
			t.Errorf("k2 row = %+v", row)
		}
	})
}

// TestIdempotencyFailureAndExpiry: a failed attempt releases its key so the
// retry goes through; an expired key, or a claim left by a crashed process
// for longer than the stale timeout, is used again; a fresh claim answers
// 409.
func TestIdempotencyFailureAndExpiry(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		c := f.createContact(contactsync.Contact{FirstName: "Ann", LastName: "Lee"})
		path := fmt.Sprintf("/api/v1/contacts/%d/salesforce/leads", c.ID)
		lead := func(key string) response {
			return f.do(req{method: "POST", path: path, body: `{}`, header: map[string]string{"Idempotency-Key": key}})
		}

		// Failure → abandoned → retry.
		f.sim.Inject(salesforcetest.Fault{Endpoint: salesforcetest.EndpointSObject, Status: 400, Code: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message: "no"})
		if r := lead("k"); r.status != 422 || r.errCode(t) != "salesforce_rejected" {
			t.Fatalf("failed lead = %d %s", r.status, r.body)
		}
		if rows := readIdemRows(t, st, f.ws); len(rows) != 0 {
			t.Fatalf("a failed attempt left its key: %+v", rows)
		}
		f.sim.ClearFaults()
		r := lead("k")
		mustStatus(t, r, 201)
		first := r.json(t)["id"].(string)
		if n := len(f.sim.Records("Lead")); n != 1 {
			t.Fatalf("%d leads, want 1", n)
		}

		// Expired: the key is free again, for any request; other expired
		// keys are purged on the way.
		mustExec(t, st, "INSERT INTO idempotency_keys (workspace_id, key, request_hash, state, expires_at) VALUES (?, 'old', 'x', 'done', "+ago(st, time.Second)+")", f.ws)
		mustExec(t, st, "UPDATE idempotency_keys SET expires_at = "+ago(st, time.Second)+" WHERE key = 'k'")
		r = f.do(req{method: "POST", path: path, body: `{"company":"New"}`, header: map[string]string{"Idempotency-Key": "k"}})
		mustStatus(t, r, 201)
		if second := r.json(t)["id"]; second == first || r.header.Get("Idempotent-Replayed") != "" || len(f.sim.Records("Lead")) != 2 {
			t.Errorf("after expiry = %s, %d leads", r.body, len(f.sim.Records("Lead")))
		}
		rows := readIdemRows(t, st, f.ws)
		if _, ok := rows["old"]; ok || rows["k"].State != "done" || !rows["k"].Expires {
			t.Errorf("after expiry rows = %+v", rows)
		}

		// A claim in progress: retries wait their turn (409) until it is
		// stale, then take over.
		mustExec(t, st, "UPDATE idempotency_keys SET state = 'in_progress', status_code = 0, response = '' WHERE key = 'k'")
		calls := f.sim.Stats().APICalls
		r = f.do(req{method: "POST", path: path, body: `{"company":"New"}`, header: map[string]string{"Idempotency-Key": "k"}})
		if r.status != 409 || r.errCode(t) != "request_in_progress" || r.header.Get("Retry-After") == "" || f.sim.Stats().APICalls != calls {
			t.Errorf("in progress = %d %s %v", r.status, r.body, r.header)
		}
		mustExec(t, st, "UPDATE idempotency_keys SET locked_at = "+ago(st, 3*time.Minute)+" WHERE key = 'k'")
		r = f.do(req{method: "POST", path: path, body: `{"company":"New"}`, header: map[string]string{"Idempotency-Key": "k"}})
		mustStatus(t, r, 201)
		if n := len(f.sim.Records("Lead")); n != 3 || readIdemRows(t, st, f.ws)["k"].State != "done" {
			t.Errorf("stale claim: %d leads, rows %+v", n, readIdemRows(t, st, f.ws))
		}

		// Keys are per workspace.
		if _, err := st.EnsureWorkspace(t.Context(), "other", contactsync.DefaultSettings()); err != nil {
			t.Fatal(err)
		}
		if _, err := st.BeginIdempotency(t.Context(), "other", "k", "h", time.Hour, time.Minute); err != nil {
			t.Errorf("same key in another workspace: %v", err)
		}
	})
}
