package httpapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

var contactKeys = []string{"bulk_imported", "created_at", "description", "email", "first_name", "id", "last_name",
	"lead_source", "mobile_phone", "phone", "salesforce_id", "source", "tags", "title", "updated_at"}

var settingsKeys = []string{"add_tag", "auto_create", "bulk_import_min_group", "conflict_policy",
	"include_bulk_import", "phone_region", "push_new_contacts"}

func TestSettings(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		r := f.get("/admin/v1/settings")
		mustStatus(t, r, 200)
		got := r.json(t)
		if k := sortedKeys(got); !slices.Equal(k, settingsKeys) {
			t.Fatalf("settings keys %v, want %v", k, settingsKeys)
		}
		want := map[string]any{"auto_create": false, "add_tag": true, "include_bulk_import": false,
			"conflict_policy": "salesforce_wins", "phone_region": "US", "bulk_import_min_group": float64(10), "push_new_contacts": false}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}

		r = f.send("PATCH", "/admin/v1/settings", `{"auto_create": true, "phone_region": "GB"}`)
		mustStatus(t, r, 200)
		if got := r.json(t); got["auto_create"] != true || got["phone_region"] != "GB" || got["add_tag"] != true {
			t.Fatalf("patched settings = %v", got)
		}
		w, err := st.Workspace(t.Context(), f.ws)
		if err != nil {
			t.Fatal(err)
		}
		if !w.Settings.AutoCreate || w.Settings.PhoneRegion != "GB" || w.Settings.AutoCreateSince.IsZero() {
			t.Fatalf("stored settings = %+v", w.Settings)
		}
		lines := f.audit.lines(t)
		if len(lines) != 1 {
			t.Fatalf("audit lines = %v, want one settings_changed", lines)
		}
		l := lines[0]
		if l["decision"] != "settings_changed" || l["workspace"] != "default" {
			t.Errorf("audit line = %v", l)
		}
		old, _ := l["old"].(map[string]any)
		nw, _ := l["new"].(map[string]any)
		if old["auto_create"] != false || nw["auto_create"] != true || old["phone_region"] != "US" || nw["phone_region"] != "GB" {
			t.Errorf("audit old/new = %v / %v", old, nw)
		}
		if _, ok := old["add_tag"]; ok {
			t.Errorf("unchanged setting audited: %v", old)
		}

		// The same values again change nothing and audit nothing.
		mustStatus(t, f.send("PATCH", "/admin/v1/settings", `{"auto_create": true}`), 200)
		if n := len(f.audit.lines(t)); n != 1 {
			t.Errorf("no-op patch audited: %d lines", n)
		}
	})
}

func TestSettingsRejects(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		tests := []struct {
			name, body string
			header     map[string]string
			status     int
			code       string
		}{
			{"UnknownField", `{"auto_create": true, "autocreate": true}`, nil, 400, "unknown_field"},
			{"WrongType", `{"auto_create": "yes"}`, nil, 400, "invalid"},
			{"Null", `{"auto_create": null}`, nil, 400, "invalid"},
			{"NumberAsString", `{"bulk_import_min_group": "10"}`, nil, 400, "invalid"},
			{"Fraction", `{"bulk_import_min_group": 10.5}`, nil, 400, "invalid"},
			{"Huge", `{"bulk_import_min_group": 99999999999999999999}`, nil, 400, "invalid"},
			{"Invalid", `{"auto_create": true, "bulk_import_min_group": 1}`, nil, 400, "invalid"},
			{"BadPolicy", `{"conflict_policy": "random"}`, nil, 400, "invalid"},
			{"BadRegion", `{"phone_region": "'; DROP TABLE workspaces;--"}`, nil, 400, "invalid"},
			{"Truncated", `{"auto_create": tr`, nil, 400, "invalid_json"},
			{"Empty", ``, map[string]string{"Content-Type": "application/json"}, 400, "invalid_json"},
			{"Array", `[{"auto_create": true}]`, nil, 400, "invalid_json"},
			{"NullBody", `null`, nil, 400, "invalid_json"},
			{"Trailing", `{"auto_create": true} {"add_tag": false}`, nil, 400, "invalid_json"},
			{"TrailingGarbage", `{"auto_create": true}x`, nil, 400, "invalid_json"},
			{"InvalidUTF8", "{\"phone_region\": \"G\xffB\"}", nil, 400, "invalid_json"},
			{"NotJSON", `auto_create=true`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
			{"TooLarge", `{"phone_region": "` + strings.Repeat("A", 2<<20) + `"}`, nil, 413, "too_large"},
			{"BadWorkspace", `{"auto_create": true}`, map[string]string{"X-Contactsync-Workspace": "../etc"}, 400, "invalid"},
			{"UnknownWorkspace", `{"auto_create": true}`, map[string]string{"X-Contactsync-Workspace": "nope"}, 404, "not_found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := f.snapshot()
				audits := len(f.audit.lines(t))
				r := f.do(req{method: "PATCH", path: "/admin/v1/settings", body: tt.body, header: tt.header})
				if r.status != tt.status {
					t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
				}
				if code := r.errCode(t); code != tt.code {
					t.Errorf("code %q, want %q", code, tt.code)
				}
				if after := f.snapshot(); after != before {
					t.Errorf("rejected request changed the database:\nbefore %s\nafter  %s", before, after)
				}
				if n := len(f.audit.lines(t)); n != audits {
					t.Errorf("rejected request was audited")
				}
			})
		}
	})
}

func TestContacts(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		r := f.send("POST", "/api/v1/contacts", `{"first_name":"Jane","last_name":"Doe","email":"Jane.Doe@Example.com",
			"phone":"(415) 555-0134","title":"CTO","tags":["vip","vip"," lead "]}`)
		mustStatus(t, r, 201)
		c := r.json(t)
		if k := sortedKeys(c); !slices.Equal(k, contactKeys) {
			t.Fatalf("contact keys %v, want %v", k, contactKeys)
		}
		id := int64(c["id"].(float64))
		if r.header.Get("Location") != fmt.Sprintf("/api/v1/contacts/%d", id) {
			t.Errorf("Location = %q", r.header.Get("Location"))
		}
		if c["email"] != "Jane.Doe@Example.com" || c["phone"] != "(415) 555-0134" || c["salesforce_id"] != nil ||
			c["source"] != "local" || c["bulk_imported"] != false || c["mobile_phone"] != "" {
			t.Errorf("created contact = %v", c)
		}
		if tags := fmt.Sprint(c["tags"]); tags != "[vip lead]" {
			t.Errorf("tags = %s, want [vip lead]", tags)
		}
		for _, k := range []string{"created_at", "updated_at"} {
			if _, err := time.Parse(time.RFC3339Nano, c[k].(string)); err != nil {
				t.Errorf("%s = %v: %v", k, c[k], err)
			}
		}
		other := f.createContact(contactsync.Contact{FirstName: "Other", Phone: "+44 20 7946 0958"})

		get := f.get(fmt.Sprintf("/api/v1/contacts/%d", id))
		mustStatus(t, get, 200)
		if string(get.body) != string(r.body) {
			t.Errorf("GET differs from POST answer:\n%s\n%s", get.body, r.body)
		}

		list := func(q string) []any {
			t.Helper()
			r := f.get("/api/v1/contacts" + q)
			mustStatus(t, r, 200)
			m := r.json(t)
			if k := sortedKeys(m); !slices.Equal(k, []string{"contacts", "next_after"}) {
				t.Fatalf("list keys %v", k)
			}
			return m["contacts"].([]any)
		}
		ids := func(cs []any) []int64 {
			var out []int64
			for _, c := range cs {
				out = append(out, int64(c.(map[string]any)["id"].(float64)))
			}
			return out
		}
		for _, q := range []string{"?email=jane.doe@EXAMPLE.com", "?email=%20Jane.Doe@example.com%20", "?phone=%2B1%20415%20555%200134",
			"?phone=415.555.0134", "?tag=vip", "?tag=lead"} {
			if got := ids(list(q)); !slices.Equal(got, []int64{id}) {
				t.Errorf("list %s = %v, want [%d]", q, got, id)
			}
		}
		if got := ids(list("?phone=%2B442079460958")); !slices.Equal(got, []int64{other.ID}) {
			t.Errorf("list by UK phone = %v", got)
		}
		for _, q := range []string{"?email=nobody@example.com", "?tag=nope", "?tag=%27%20OR%201%3D1--"} {
			if got := list(q); len(got) != 0 {
				t.Errorf("list %s = %v, want none", q, got)
			}
		}
		// Pagination.
		r = f.get("/api/v1/contacts?limit=1")
		mustStatus(t, r, 200)
		page := r.json(t)
		if n := len(page["contacts"].([]any)); n != 1 || page["next_after"] != float64(id) {
			t.Fatalf("first page = %s", r.body)
		}
		r = f.get(fmt.Sprintf("/api/v1/contacts?limit=1&after=%d", id))
		page = r.json(t)
		if got := ids(page["contacts"].([]any)); !slices.Equal(got, []int64{other.ID}) || page["next_after"] != nil {
			t.Fatalf("second page = %s", r.body)
		}

		// Patch: a subset of fields; tags replace the set.
		r = f.send("PATCH", fmt.Sprintf("/api/v1/contacts/%d", id), `{"title": null, "last_name": "Smith", "tags": ["lead"]}`)
		mustStatus(t, r, 200)
		p := r.json(t)
		if p["title"] != "" || p["last_name"] != "Smith" || p["first_name"] != "Jane" || fmt.Sprint(p["tags"]) != "[lead]" {
			t.Errorf("patched = %v", p)
		}
		stored, err := st.Contact(t.Context(), f.ws, id)
		if err != nil || stored.LastName != "Smith" || !slices.Equal(stored.Tags, []string{"lead"}) {
			t.Errorf("stored = %+v, %v", stored, err)
		}
	})
}

func TestContactSystemTag(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		c := f.createContact(contactsync.Contact{FirstName: "Auto", Source: contactsync.SourceSalesforce,
			Tags: []string{contactsync.TagAutoCreatedSalesforce, "x"}})
		plain := f.createContact(contactsync.Contact{FirstName: "Plain"})
		before := f.snapshot()
		for _, tt := range []struct {
			id   int64
			body string
		}{
			{c.ID, `{"tags": ["x"]}`},
			{c.ID, `{"tags": []}`},
			{c.ID, `{"tags": ["Auto-created: salesforce"]}`},
			{plain.ID, `{"tags": ["Auto-created: Salesforce"]}`},
		} {
			r := f.send("PATCH", fmt.Sprintf("/api/v1/contacts/%d", tt.id), tt.body)
			if r.status != 409 || r.errCode(t) != "system_tag" {
				t.Errorf("PATCH %s = %d %s, want 409 system_tag", tt.body, r.status, r.body)
			}
		}
		r := f.send("POST", "/api/v1/contacts", `{"first_name":"X","tags":["Auto-created: Salesforce"]}`)
		if r.status != 409 || r.errCode(t) != "system_tag" {
			t.Errorf("create with system tag = %d %s", r.status, r.body)
		}
		if after := f.snapshot(); after != before {
			t.Errorf("refused system tag change wrote:\n%s\n%s", before, after)
		}
		// Keeping it while changing others is fine.
		r = f.send("PATCH", fmt.Sprintf("/api/v1/contacts/%d", c.ID), `{"tags": ["Auto-created: Salesforce", "y"]}`)
		mustStatus(t, r, 200)
	})
}

// TestSyncEndToEnd drives the real engine through the API: switch
// auto-create on, backfill, find the tagged contacts, patch one, sync again
// and see the change in the simulated org; read live fields through the
// cache; create Leads and Cases idempotently.
func TestSyncEndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{contacts: 30})
		mustStatus(t, f.send("PATCH", "/admin/v1/settings", `{"auto_create": true}`), 200)

		r := f.do(req{method: "POST", path: "/admin/v1/backfill?wait=true"})
		mustStatus(t, r, 200)
		sum := r.json(t)
		for _, k := range []string{"run_id", "workspace", "pulled", "created", "linked", "updated", "ambiguous",
			"skipped", "unlinked", "pushed", "failed", "api_calls", "duration_ms"} {
			if _, ok := sum[k]; !ok {
				t.Errorf("run summary lacks %q: %s", k, r.body)
			}
		}
		if sum["pulled"].(float64) < 30 || sum["created"].(float64) < 1 {
			t.Fatalf("backfill summary = %s", r.body)
		}

		r = f.get("/api/v1/contacts?tag=" + strings.ReplaceAll(contactsync.TagAutoCreatedSalesforce, " ", "%20") + "&limit=500")
		mustStatus(t, r, 200)
		cs := r.json(t)["contacts"].([]any)
		if len(cs) != int(sum["created"].(float64)) {
			t.Fatalf("%d tagged contacts, %v created", len(cs), sum["created"])
		}
		c := cs[0].(map[string]any)
		sfID, _ := c["salesforce_id"].(string)
		if !strings.HasPrefix(sfID, "003") || c["source"] != "salesforce" {
			t.Fatalf("auto-created contact = %v", c)
		}
		path := fmt.Sprintf("/api/v1/contacts/%d", int64(c["id"].(float64)))

		// Live fields: a miss, then a hit without another API call.
		r = f.get(path + "/salesforce")
		mustStatus(t, r, 200)
		if r.header.Get("X-Cache") != "MISS" || r.header.Get("Age") != "0" {
			t.Errorf("first read: X-Cache %q Age %q", r.header.Get("X-Cache"), r.header.Get("Age"))
		}
		live := r.json(t)
		if k := sortedKeys(live); !slices.Equal(k, []string{"fetched_at", "fields", "salesforce_id"}) || live["salesforce_id"] != sfID {
			t.Errorf("live = %s", r.body)
		}
		calls := f.sim.Stats().APICalls
		r = f.get(path + "/salesforce")
		if r.header.Get("X-Cache") != "HIT" {
			t.Errorf("second read: X-Cache %q", r.header.Get("X-Cache"))
		}
		if n := f.sim.Stats().APICalls; n != calls {
			t.Errorf("cache hit made %d API calls", n-calls)
		}

		// Patch a linked contact: the push is enqueued with the change.
		mustStatus(t, f.send("PATCH", path, `{"title": "Head of Chat"}`), 200)
		if pending, _, _ := st.OutboxStats(t.Context(), f.ws); pending != 1 {
			t.Fatalf("outbox pending = %d, want 1", pending)
		}
		r = f.do(req{method: "POST", path: "/admin/v1/sync?wait=true"})
		mustStatus(t, r, 200)
		if got := r.json(t)["pushed"]; got != float64(1) {
			t.Errorf("pushed = %v: %s", got, r.body)
		}
		rec, ok := f.sim.Record("Contact", sfID)
		if !ok || rec["Title"] != "Head of Chat" {
			t.Errorf("Salesforce record Title = %v", rec["Title"])
		}
		// Cache-Control: no-cache reads through and sees it.
		r = f.do(req{method: "GET", path: path + "/salesforce", header: map[string]string{"Cache-Control": "no-cache"}})
		if r.header.Get("X-Cache") != "MISS" || r.json(t)["fields"].(map[string]any)["Title"] != "Head of Chat" {
			t.Errorf("read-through = %s %s", r.header.Get("X-Cache"), r.body)
		}

		// Leads: idempotent by key.
		lead := func(key, body string) response {
			return f.do(req{method: "POST", path: path + "/salesforce/leads", body: body, header: map[string]string{"Idempotency-Key": key}})
		}
		r1 := lead("k1", `{"company":"Acme"}`)
		mustStatus(t, r1, 201)
		leadID := r1.json(t)["id"].(string)
		if !strings.HasPrefix(leadID, "00Q") || len(r1.json(t)) != 1 {
			t.Errorf("lead answer = %s", r1.body)
		}
		calls = f.sim.Stats().APICalls
		r2 := lead("k1", `{"company":"Acme"}`)
		mustStatus(t, r2, 201)
		if string(r2.body) != string(r1.body) || r2.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay = %s %v", r2.body, r2.header)
		}
		if n := f.sim.Stats().APICalls; n != calls {
			t.Errorf("replay made %d API calls", n-calls)
		}
		if r := lead("k1", `{"company":"Other"}`); r.status != 422 || r.errCode(t) != "idempotency_mismatch" {
			t.Errorf("key reuse with other body = %d %s", r.status, r.body)
		}
		mustStatus(t, lead("k2", `{"company":"Acme"}`), 201)
		leads := f.sim.Records("Lead")
		if len(leads) != 2 {
			t.Fatalf("%d leads in the org, want 2", len(leads))
		}
		if leads[0]["Company"] != "Acme" {
			t.Errorf("lead = %v", leads[0])
		}
		// Cases.
		r = f.do(req{method: "POST", path: path + "/salesforce/cases", body: `{"subject":"Help"}`})
		mustStatus(t, r, 201)
		caseID := r.json(t)["id"].(string)
		cr, ok := f.sim.Record("Case", caseID)
		if !ok || cr["Subject"] != "Help" || cr["ContactId"] != sfID {
			t.Errorf("case = %v", cr)
		}
		// An empty body is fine.
		mustStatus(t, f.do(req{method: "POST", path: path + "/salesforce/cases"}), 201)

		// Unlinked contacts have no Salesforce record to read.
		local := f.createContact(contactsync.Contact{FirstName: "Local"})
		r = f.get(fmt.Sprintf("/api/v1/contacts/%d/salesforce", local.ID))
		if r.status != 409 || r.errCode(t) != "not_linked" {
			t.Errorf("unlinked read = %d %s", r.status, r.body)
		}

		// Status shows the runs, the cursor and the API usage.
		r = f.get("/admin/v1/status")
		mustStatus(t, r, 200)
		s := r.json(t)
		if k := sortedKeys(s); !slices.Equal(k, []string{"api_usage", "auto_create_since", "connection", "cursor", "outbox", "runs", "settings", "workspace"}) {
			t.Errorf("status keys = %v", k)
		}
		if s["connection"].(map[string]any)["state"] != "connected" || s["cursor"] == nil || len(s["runs"].([]any)) != 2 {
			t.Errorf("status = %s", r.body)
		}
		if u, _ := s["api_usage"].(map[string]any); u == nil || u["max"].(float64) <= 0 {
			t.Errorf("api usage = %v", s["api_usage"])
		}

		// Metrics: runs, decisions, outbox.
		r = f.get("/metrics")
		mustStatus(t, r, 200)
		for _, want := range []string{
			`contactsync_runs_total{result="ok",workspace="default"} 2`,
			`contactsync_decisions_total{decision="created",workspace="default"}`,
			`contactsync_decisions_total{decision="settings_changed",workspace="default"} 1`,
			`contactsync_outbox_pending{workspace="default"} 0`,
			`contactsync_sync_lag_seconds{workspace="default"}`,
			`contactsync_salesforce_api_max{workspace="default"}`,
			`contactsync_salesforce_cache_lookups_total{result="hit"} 1`,
		} {
			if !strings.Contains(string(r.body), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func TestSyncAsync(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{contacts: 5})
		r := f.do(req{method: "POST", path: "/admin/v1/sync"})
		mustStatus(t, r, 202)
		if got := string(r.body); got != `{"status":"started","workspace":"default","backfill":false}`+"\n" {
			t.Errorf("202 body = %s", got)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			runs, err := st.Runs(t.Context(), f.ws, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) == 1 {
				if runs[0].Pulled != 5 || runs[0].Error != "" {
					t.Errorf("run = %+v", runs[0])
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the background sync did not finish")
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, q := range []string{"?wait=maybe", "?wait=true&wait=false", "?force=true"} {
			r := f.do(req{method: "POST", path: "/admin/v1/sync" + q})
			if r.status != 400 || r.errCode(t) != "invalid" {
				t.Errorf("sync%s = %d %s", q, r.status, r.body)
			}
		}
	})
}

func TestSyncErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{noConnect: true})
		r := f.do(req{method: "POST", path: "/admin/v1/sync?wait=true"})
		if r.status != 404 {
			t.Fatalf("sync without a connection = %d %s", r.status, r.body)
		}
		var body map[string]json.RawMessage
		_ = json.Unmarshal(r.body, &body)
		if _, ok := body["run"]; !ok {
			t.Errorf("failed run has no summary: %s", r.body)
		}
		r = f.get("/admin/v1/status")
		mustStatus(t, r, 200)
		conn := r.json(t)["connection"].(map[string]any)
		if conn["state"] != "not_connected" || !strings.Contains(conn["fix"].(string), "contactsync connect") {
			t.Errorf("connection = %v", conn)
		}
		// A connection in a bad state shows its reason and the fix.
		if err := st.SaveConnection(t.Context(), contactsync.Connection{WorkspaceID: f.ws, InstanceURL: f.sim.InstanceURL,
			LoginURL: f.sim.LoginURL, AuthFlow: contactsync.AuthRefreshToken, RefreshToken: "x", State: contactsync.StateConnected}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetConnectionState(t.Context(), f.ws, contactsync.StateAPIDisabled, "API_DISABLED_FOR_ORG"); err != nil {
			t.Fatal(err)
		}
		conn = f.get("/admin/v1/status").json(t)["connection"].(map[string]any)
		if conn["state"] != "api_disabled" || conn["reason"] != "API_DISABLED_FOR_ORG" || !strings.Contains(conn["fix"].(string), "API Enabled") {
			t.Errorf("connection = %v", conn)
		}
	})
}

// TestSyncAfterClose refuses a background sync once the server is closing:
// Close has already waited for the syncs it owns, so a new one would run
// unowned.
func TestSyncAfterClose(t *testing.T) {
	f := newFixture(t, storetestSQLite(t), fixtureOptions{})
	if err := f.srv.Close(); err != nil {
		t.Fatal(err)
	}
	r := f.do(req{method: "POST", path: "/admin/v1/sync"})
	if r.status != 503 || r.errCode(t) != "shutting_down" {
		t.Fatalf("sync after Close = %d %s, want 503 shutting_down", r.status, r.body)
	}
}
