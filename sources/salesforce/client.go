package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultAPIVersion is the REST API version used when Config leaves it empty.
const DefaultAPIVersion = "62.0"

// Config configures a Client.
type Config struct {
	// LoginURL is the login host, such as https://login.salesforce.com, a
	// My Domain URL, or a simulator's LoginURL. It defaults to
	// DefaultLoginURL.
	LoginURL string
	// APIVersion, such as "62.0", defaults to DefaultAPIVersion.
	APIVersion string
	// HTTPClient sends every request, token requests included. It defaults
	// to a client with a 2-minute timeout.
	HTTPClient *http.Client
	// Credentials say how to obtain access tokens.
	Credentials Credentials
	// PauseThreshold is the share of the daily API maximum above which
	// calls not marked Essential fail with sync.ErrRateLimited. Zero means
	// 0.9; a value of 1 or more never pauses.
	PauseThreshold float64
	// Retry bounds retries of transient failures; zero fields take the
	// defaults of DefaultRetry.
	Retry RetryPolicy
	// Logger receives retry and refresh notices (never tokens). It defaults
	// to slog.Default().
	Logger *slog.Logger
}

// Client is a Salesforce REST API client for one org. It is safe for
// concurrent use.
type Client struct {
	hc      *http.Client
	login   string
	version string
	auth    *tokenManager
	budget  budget
	retry   RetryPolicy
	log     *slog.Logger
	calls   atomic.Int64
}

// New returns a Client. It makes no request until the first call.
func New(cfg Config) (*Client, error) {
	c := &Client{
		hc:      cfg.HTTPClient,
		login:   strings.TrimRight(cfg.LoginURL, "/"),
		version: strings.TrimPrefix(cfg.APIVersion, "v"),
		retry:   cfg.Retry.withDefaults(),
		log:     cfg.Logger,
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 2 * time.Minute}
	}
	if c.login == "" {
		c.login = DefaultLoginURL
	}
	if _, err := url.ParseRequestURI(c.login); err != nil {
		return nil, fmt.Errorf("salesforce: login URL %q: %w", cfg.LoginURL, err)
	}
	if c.version == "" {
		c.version = DefaultAPIVersion
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.budget.threshold = cfg.PauseThreshold
	if c.budget.threshold <= 0 {
		c.budget.threshold = 0.9
	}
	auth, err := newTokenManager(c.login, c.hc, cfg.Credentials)
	if err != nil {
		return nil, err
	}
	c.auth = auth
	return c, nil
}

// Close stops a token request still under way (one outlives the call that
// started it, since other calls may be waiting for it) and waits for it to
// end. Token requests after Close fail; calls that need none still work.
func (c *Client) Close() {
	c.auth.close()
}

// APICalls returns how many REST API requests the client has sent, failed
// ones included. Token requests are not API calls, as in Salesforce.
func (c *Client) APICalls() int64 { return c.calls.Load() }

// TokenRequests returns how many token requests the client has made.
func (c *Client) TokenRequests() int64 { return c.auth.requests.Load() }

// InstanceURL returns the instance URL of the current session, "" before the
// first successful token request.
func (c *Client) InstanceURL() string {
	c.auth.mu.Lock()
	defer c.auth.mu.Unlock()
	return c.auth.cur.instanceURL
}

// Authenticate obtains an access token if the client has none yet. Calls do
// this on their own; Authenticate lets `doctor` check the credentials alone.
func (c *Client) Authenticate(ctx context.Context) error {
	_, err := c.auth.token(ctx, 0)
	return err
}

type essentialKey struct{}

// Essential marks the calls made with the returned context as essential:
// they are sent even while usage is above the pause threshold (a person is
// waiting for them). REQUEST_LIMIT_EXCEEDED still stops them.
func Essential(ctx context.Context) context.Context {
	return context.WithValue(ctx, essentialKey{}, true)
}

func isEssential(ctx context.Context) bool {
	v, _ := ctx.Value(essentialKey{}).(bool)
	return v
}

// request is one REST call. path is relative to the version root
// (/services/data/vXX.X) unless it starts with /services/.
type request struct {
	method string
	path   string
	query  url.Values
	body   []byte
	header http.Header
	// idempotent marks a POST that only reads (Collections retrieve), so
	// it may be resent after a broken connection.
	idempotent bool
}

func (c *Client) url(instance string, r *request) string {
	var b strings.Builder
	b.WriteString(instance)
	if !strings.HasPrefix(r.path, "/services/") {
		b.WriteString("/services/data/v")
		b.WriteString(c.version)
	}
	b.WriteString(r.path)
	if len(r.query) > 0 {
		b.WriteByte('?')
		b.WriteString(r.query.Encode())
	}
	return b.String()
}

// do sends r, refreshing the token once on 401 and retrying transient
// failures, and returns a 2xx response whose body the caller must close.
func (c *Client) do(ctx context.Context, r *request) (*http.Response, error) {
	start := time.Now()
	var stale uint64
	refreshed := false
	for attempt := 1; ; attempt++ {
		if !isEssential(ctx) {
			if err := c.budget.check(); err != nil {
				return nil, err
			}
		}
		sess, err := c.auth.token(ctx, stale)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, sess, r)
		var retryAfter time.Duration
		var lastErr error
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A POST may have been applied before the connection broke;
			// sending it again could create records twice.
			if r.method == http.MethodPost && !r.idempotent {
				return nil, fmt.Errorf("salesforce: %s %s: %w", r.method, r.path, err)
			}
			lastErr = &netError{err: err}
		} else {
			c.budget.observe(resp.Header.Get("Sforce-Limit-Info"))
			if resp.StatusCode < 300 {
				return resp, nil
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			apiErr := parseError(resp.StatusCode, body)
			if resp.StatusCode == http.StatusUnauthorized && !refreshed {
				// The session expired (Salesforce sends no expiry): get a
				// token newer than this one, shared with other callers
				// that hit the same 401, and replay once.
				refreshed = true
				stale = sess.gen
				attempt--
				c.log.LogAttrs(ctx, slog.LevelInfo, "salesforce session expired; refreshing", slog.String("code", apiErr.Code))
				continue
			}
			if !apiErr.Temporary() {
				return nil, apiErr
			}
			lastErr = apiErr
			retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		wait, ok := c.retry.next(attempt, retryAfter, time.Since(start))
		if !ok {
			return nil, fmt.Errorf("salesforce: %s %s: giving up after %d attempts: %w", r.method, r.path, attempt, lastErr)
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "salesforce call failed; retrying",
			slog.String("path", r.path), slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", lastErr.Error()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Client) send(ctx context.Context, sess session, r *request) (*http.Response, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.url(sess.instanceURL, r), body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+sess.accessToken)
	if req.Header.Get("Accept") == "" { // bulk results ask for text/csv
		req.Header.Set("Accept", "application/json")
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.calls.Add(1)
	return c.hc.Do(req)
}

// doJSON sends r with in (when not nil) as the JSON body and decodes the
// response into out (when not nil).
func (c *Client) doJSON(ctx context.Context, method, path string, query url.Values, in, out any) error {
	return c.doRequest(ctx, &request{method: method, path: path, query: query}, in, out)
}

func (c *Client) doRequest(ctx context.Context, r *request, in, out any) error {
	method, path := r.method, r.path
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("salesforce: encode %s %s: %w", method, path, err)
		}
		r.body = b
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("salesforce: decode %s %s: %w", method, path, err)
	}
	return nil
}

// netError is a transport failure; it is worth retrying.
type netError struct{ err error }

func (e *netError) Error() string   { return "salesforce: " + e.err.Error() }
func (e *netError) Unwrap() error   { return e.err }
func (e *netError) Temporary() bool { return true }
