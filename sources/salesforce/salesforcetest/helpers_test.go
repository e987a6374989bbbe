package salesforcetest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fixedNow is the clock of most tests.
var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// MustServer starts a Server for the test and closes it at cleanup.
func MustServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.Now == nil {
		c := &clock{fixedNow}
		opts.Now = c.Now
	}
	s := NewServer(opts)
	tb.Cleanup(s.Close)
	return s
}

// response is a decoded HTTP response.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		tb.Fatalf("decode %q: %v", r.body, err)
	}
}

func do(tb testing.TB, method, u, token, body string, header ...string) response {
	tb.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func postForm(tb testing.TB, u string, form url.Values) response {
	tb.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// MustToken logs in with the refresh token grant and returns the token.
func MustToken(tb testing.TB, s *Server) string {
	tb.Helper()
	resp := postForm(tb, s.LoginURL+"/services/oauth2/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {s.opts.RefreshToken},
		"client_id": {s.opts.ClientID}, "client_secret": {s.opts.ClientSecret}})
	if resp.status != 200 {
		tb.Fatalf("token: %d %s", resp.status, resp.body)
	}
	var tok tokenResponse
	resp.json(tb, &tok)
	return tok.AccessToken
}

const v62 = "/services/data/v62.0"
