package salesforce_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	contactsync "github.com/contactsync/contactsync/sync"
	"go.uber.org/goleak"
)

const countContacts = "SELECT COUNT() FROM Contact"

func TestRefreshOnExpiry(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 10})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	if _, err := c.Count(ctx, countContacts, salesforce.QueryOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := sim.Stats().TokenRequests; got != 1 {
		t.Fatalf("token requests after first call = %d, want 1", got)
	}

	sim.ExpireSessions()
	sim.ResetStats()
	const n = 20
	var wg gosync.WaitGroup
	errs := make([]error, n)
	counts := make([]int, n)
	for i := range n {
		wg.Go(func() { counts[i], errs[i] = c.Count(ctx, countContacts, salesforce.QueryOptions{}) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if counts[i] != 10 {
			t.Fatalf("call %d counted %d, want 10", i, counts[i])
		}
	}
	if got := sim.Stats().TokenRequests; got != 1 {
		t.Fatalf("token requests for %d concurrent calls after expiry = %d, want exactly 1", n, got)
	}
	if got := c.TokenRequests(); got != 2 {
		t.Fatalf("client token requests = %d, want 2", got)
	}
}

func TestInvalidGrantStops(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 3})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	if _, err := c.Count(ctx, countContacts, salesforce.QueryOptions{}); err != nil {
		t.Fatal(err)
	}
	sim.RevokeRefreshTokens()
	sim.ExpireSessions()
	sim.ResetStats()

	for i := range 5 {
		_, err := c.Count(ctx, countContacts, salesforce.QueryOptions{})
		if !errors.Is(err, contactsync.ErrReauthRequired) {
			t.Fatalf("call %d: err = %v, want ErrReauthRequired", i, err)
		}
		var re *salesforce.ReauthError
		if !errors.As(err, &re) || re.Code != "invalid_grant" {
			t.Fatalf("call %d: err = %#v, want a ReauthError with invalid_grant", i, err)
		}
		if contactsync.IsTemporary(err) {
			t.Fatalf("call %d: invalid_grant reported as temporary", i)
		}
	}
	if got := sim.Stats().TokenRequests; got != 1 {
		t.Fatalf("token requests after invalid_grant = %d, want 1 (no retry loop)", got)
	}
	// A new client with the same (revoked) token also stops after one try.
	c2 := newClient(t, sim, nil)
	for range 3 {
		if _, err := c2.Count(ctx, countContacts, salesforce.QueryOptions{}); !errors.Is(err, contactsync.ErrReauthRequired) {
			t.Fatalf("new client: err = %v, want ErrReauthRequired", err)
		}
	}
	if got := sim.Stats().TokenRequests; got != 2 {
		t.Fatalf("token requests = %d, want 2", got)
	}
}

func TestBadClientCredentialsNeedReauth(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	c := newClient(t, sim, func(cfg *salesforce.Config) { cfg.Credentials.ClientID = "wrong" })
	_, err := c.Count(testContext(t), countContacts, salesforce.QueryOptions{})
	if !errors.Is(err, contactsync.ErrReauthRequired) {
		t.Fatalf("err = %v, want ErrReauthRequired", err)
	}
}

func TestJWTBearer(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	der := x509.MarshalPKCS1PrivateKey(key)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := newSim(t, salesforcetest.Options{Contacts: 7, JWTPublicKey: &key.PublicKey})
	c := newClient(t, sim, func(cfg *salesforce.Config) {
		cfg.Credentials = salesforce.Credentials{
			Flow:           contactsync.AuthJWT,
			ClientID:       sim.Options().ClientID,
			Username:       sim.Options().Username,
			PrivateKeyFile: path,
		}
	})
	n, err := c.Count(testContext(t), countContacts, salesforce.QueryOptions{})
	if err != nil || n != 7 {
		t.Fatalf("Count = %d, %v; want 7", n, err)
	}
	if c.InstanceURL() != sim.InstanceURL {
		t.Fatalf("instance URL = %q, want %q", c.InstanceURL(), sim.InstanceURL)
	}

	// A key the org does not know is refused for good.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	bad := newClient(t, sim, func(cfg *salesforce.Config) {
		cfg.Credentials = salesforce.Credentials{
			Flow: contactsync.AuthJWT, ClientID: sim.Options().ClientID, Username: sim.Options().Username,
			PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}),
		}
	})
	if _, err := bad.Count(testContext(t), countContacts, salesforce.QueryOptions{}); !errors.Is(err, contactsync.ErrReauthRequired) {
		t.Fatalf("unknown key: err = %v, want ErrReauthRequired", err)
	}
}

func TestClientCredentials(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 4})
	c := newClient(t, sim, func(cfg *salesforce.Config) {
		cfg.Credentials = salesforce.Credentials{
			Flow:         contactsync.AuthClientCredentials,
			ClientID:     sim.Options().ClientID,
			ClientSecret: sim.Options().ClientSecret,
		}
	})
	n, err := c.Count(testContext(t), countContacts, salesforce.QueryOptions{})
	if err != nil || n != 4 {
		t.Fatalf("Count = %d, %v; want 4", n, err)
	}
}

func TestWebFlowWithPKCE(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 2})
	flow := salesforce.WebFlow{
		LoginURL:     sim.LoginURL,
		ClientID:     sim.Options().ClientID,
		ClientSecret: sim.Options().ClientSecret,
		RedirectURL:  "http://127.0.0.1:1717/callback",
	}
	verifier := salesforce.NewVerifier()
	authURL := flow.AuthCodeURL("state-123", verifier)
	u, _ := url.Parse(authURL)
	if u.Query().Get("code_challenge") == "" || u.Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("authorize URL lacks a PKCE challenge: %s", authURL)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	noFollow := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d, Location %q: no code", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := loc.Query().Get("state"); got != "state-123" {
		t.Fatalf("state = %q", got)
	}
	ctx := testContext(t)
	// The wrong verifier must be refused (PKCE is checked).
	if _, err := flow.Exchange(ctx, loc.Query().Get("code"), salesforce.NewVerifier()); err == nil {
		t.Fatal("Exchange with the wrong verifier succeeded")
	}
	resp, err = noFollow.Get(flow.AuthCodeURL("s2", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	conn, err := flow.Exchange(ctx, loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if conn.RefreshToken == "" || conn.InstanceURL != sim.InstanceURL {
		t.Fatalf("Connected = {refresh token set: %v, instance %q}", conn.RefreshToken != "", conn.InstanceURL)
	}
	c := newClient(t, sim, func(cfg *salesforce.Config) { cfg.Credentials.RefreshToken = conn.RefreshToken })
	if n, err := c.Count(ctx, countContacts, salesforce.QueryOptions{}); err != nil || n != 2 {
		t.Fatalf("Count with the new refresh token = %d, %v", n, err)
	}
}

// A token request outlives the call that started it, since other calls may
// be waiting for it; Close ends it, so nothing is left running at shutdown.
func TestCloseEndsTokenRequest(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{})
	sim.Inject(salesforcetest.Fault{Endpoint: "token", Delay: time.Minute})
	c := newClient(t, sim, nil)
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Count(ctx, countContacts, salesforce.QueryOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Count = %v, want the caller's deadline", err)
	}
	c.Close()
	if err := goleak.Find(before); err != nil {
		t.Fatalf("goroutines left after Close: %v", err)
	}
	if _, err := c.Count(testContext(t), countContacts, salesforce.QueryOptions{}); err == nil {
		t.Fatal("a call needing a token succeeded after Close")
	}
}
