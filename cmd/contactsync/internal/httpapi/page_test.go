package httpapi_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/contactsync/contactsync/store"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, standing in for a browser in the form-flow tests.
type browser struct {
	t    *testing.T
	f    *fixture
	c    *http.Client
	base string
}

func newBrowser(f *fixture) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, f: f, base: f.ts.URL, c: &http.Client{
		Jar:           jar,
		Transport:     f.ts.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post submits a form; origin "" sends none.
func (b *browser) post(path string, form url.Values, origin string) *http.Response {
	b.t.Helper()
	r, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	resp, err := b.c.Do(r)
	if err != nil {
		b.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestPageLoginAndCSRF(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, fixtureOptions{})
		b := newBrowser(f)

		code, body := b.get("/admin/")
		if code != 200 || !strings.Contains(body, `id="login"`) || strings.Contains(body, "auto_create") {
			t.Fatalf("anonymous page = %d %s", code, body)
		}
		var resp *http.Response
		if resp := b.post("/admin/login", url.Values{"token": {"wrong"}}, b.base); resp.StatusCode != 401 || len(resp.Cookies()) != 0 {
			t.Fatalf("bad login = %d, cookies %v", resp.StatusCode, resp.Cookies())
		}
		if resp := b.post("/admin/login", url.Values{"token": {testToken}}, "https://evil.example"); resp.StatusCode != 403 || len(resp.Cookies()) != 0 {
			t.Fatalf("cross-origin login = %d", resp.StatusCode)
		}
		resp = b.post("/admin/login", url.Values{"token": {testToken}}, b.base)
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin/?workspace=default" {
			t.Fatalf("login = %d %v", resp.StatusCode, resp.Header)
		}
		cookies := resp.Cookies()
		if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/" {
			t.Fatalf("session cookie = %+v", cookies)
		}
		if strings.Contains(cookies[0].Value, testToken) {
			t.Fatal("the cookie holds the token")
		}

		code, body = b.get("/admin/")
		m := csrfRE.FindStringSubmatch(body)
		if code != 200 || m == nil || !strings.Contains(body, `id="toggle-auto_create"`) {
			t.Fatalf("page = %d %s", code, body)
		}
		csrf := m[1]
		before := f.snapshot()
		flip := url.Values{"setting": {"auto_create"}, "value": {"true"}}
		// No CSRF token, a wrong one, or a foreign origin: refused.
		for _, tt := range []struct {
			form   url.Values
			origin string
		}{
			{flip, b.base},
			{url.Values{"setting": {"auto_create"}, "value": {"true"}, "csrf": {"x" + csrf}}, b.base},
			{url.Values{"setting": {"auto_create"}, "value": {"true"}, "csrf": {csrf}}, "https://evil.example"},
			{url.Values{"setting": {"auto_create"}, "value": {"true"}, "csrf": {csrf}}, "null"},
			{url.Values{"setting": {"conflict_policy"}, "value": {"true"}, "csrf": {csrf}}, b.base},
			{url.Values{"setting": {"auto_create"}, "value": {"yes"}, "csrf": {csrf}}, b.base},
		} {
			if resp := b.post("/admin/settings", tt.form, tt.origin); resp.StatusCode < 400 {
				t.Errorf("post %v from %q = %d", tt.form, tt.origin, resp.StatusCode)
			}
		}
		// Cookie-authenticated JSON from another origin: refused.
		r, _ := http.NewRequest("PATCH", b.base+"/admin/v1/settings", strings.NewReader(`{"auto_create":true}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Origin", "https://evil.example")
		resp, err := b.c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("cross-origin cookie PATCH = %d", resp.StatusCode)
		}
		if after := f.snapshot(); after != before {
			t.Fatalf("refused form posts wrote")
		}

		flip.Set("csrf", csrf)
		resp = b.post("/admin/settings", flip, b.base)
		if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "msg=saved") {
			t.Fatalf("flip = %d %v", resp.StatusCode, resp.Header)
		}
		w, _ := st.Workspace(t.Context(), f.ws)
		if !w.Settings.AutoCreate {
			t.Fatal("auto_create not persisted")
		}
		if l := f.audit.lines(t); len(l) != 1 || !strings.Contains(l[0]["reason"].(string), "admin page") {
			t.Errorf("audit = %v", l)
		}
		// The session also reads the API.
		if code, _ := b.get("/api/v1/contacts"); code != 200 {
			t.Errorf("cookie GET = %d", code)
		}
		// Sync now.
		resp = b.post("/admin/sync", url.Values{"csrf": {csrf}}, b.base)
		if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "msg=sync_") {
			t.Errorf("sync now = %d %v", resp.StatusCode, resp.Header)
		}
		// Logout ends the session.
		b.post("/admin/logout", url.Values{}, b.base)
		if _, body := b.get("/admin/"); !strings.Contains(body, `id="login"`) {
			t.Error("still logged in after logout")
		}
		if code, _ := b.get("/api/v1/contacts"); code != 401 {
			t.Errorf("API after logout = %d", code)
		}
	})
}

// TestPageEscapes checks that values from Salesforce and settings are
// escaped in the page.
func TestPageEscapes(t *testing.T) {
	f := newFixture(t, storetestSQLite(t), fixtureOptions{})
	code, body := newBrowser(f).get("/admin/?msg=%3Cscript%3E")
	if code != 200 || strings.Contains(body, "<script>") {
		t.Errorf("flash injection: %d %s", code, body)
	}
	r := f.do(req{method: "GET", path: "/admin/?workspace=%3Cb%3E"})
	if r.status != 400 {
		t.Errorf("bad workspace = %d", r.status)
	}
}
