package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/jwt"

	contactsync "github.com/contactsync/contactsync/sync"
)

// DefaultLoginURL is the production login host.
const DefaultLoginURL = "https://login.salesforce.com"

// tokenPath is the OAuth 2.0 token endpoint on the login host.
const tokenPath = "/services/oauth2/token"

// Credentials say how the client obtains access tokens. They are secrets:
// never log them.
type Credentials struct {
	// Flow is the OAuth flow; it defaults to sync.AuthRefreshToken.
	Flow contactsync.AuthFlow
	// ClientID and ClientSecret are the connected app's consumer key and
	// secret. The JWT bearer flow needs no secret.
	ClientID, ClientSecret string
	// RefreshToken is used by the refresh-token flow.
	RefreshToken string
	// Username is the user the JWT bearer flow acts as (the JWT subject).
	Username string
	// PrivateKeyPEM, or the file PrivateKeyFile, holds the RSA private key
	// (PEM, PKCS#1 or PKCS#8) that signs JWT bearer assertions.
	PrivateKeyPEM  []byte
	PrivateKeyFile string
}

// String keeps secrets out of fmt output.
func (c Credentials) String() string {
	return fmt.Sprintf("credentials{flow=%s client_id=%s username=%s}", c.Flow, c.ClientID, c.Username)
}

// session is one access token and the instance it is valid on.
type session struct {
	accessToken string
	instanceURL string
	gen         uint64
}

// flight is one token request that several callers may wait for.
type flight struct {
	done chan struct{}
	sess session
	err  error
}

// tokenManager hands out the current access token and fetches a new one when
// a caller reports the one it used as expired. Concurrent callers share one
// fetch; a permanent rejection is latched.
type tokenManager struct {
	fetch    func(ctx context.Context) (*oauth2.Token, error)
	requests atomic.Int64

	mu      gosync.Mutex
	cur     session
	pending *flight
	latched error

	// ctx bounds token fetches, which outlive their callers; close cancels
	// it and waits for them.
	ctx    context.Context
	cancel context.CancelFunc
	wg     gosync.WaitGroup
}

func newTokenManager(loginURL string, hc *http.Client, cr Credentials) (*tokenManager, error) {
	tokenURL := strings.TrimRight(loginURL, "/") + tokenPath
	withClient := func(ctx context.Context) context.Context {
		return context.WithValue(ctx, oauth2.HTTPClient, hc)
	}
	m := &tokenManager{}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	switch cr.Flow {
	case contactsync.AuthRefreshToken, "":
		if cr.ClientID == "" || cr.RefreshToken == "" {
			return nil, fmt.Errorf("%w: the refresh-token flow needs a client id and a refresh token", contactsync.ErrInvalid)
		}
		cfg := &oauth2.Config{
			ClientID:     cr.ClientID,
			ClientSecret: cr.ClientSecret,
			Endpoint:     oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
		}
		m.fetch = func(ctx context.Context) (*oauth2.Token, error) {
			return cfg.TokenSource(withClient(ctx), &oauth2.Token{RefreshToken: cr.RefreshToken}).Token()
		}
	case contactsync.AuthClientCredentials:
		if cr.ClientID == "" || cr.ClientSecret == "" {
			return nil, fmt.Errorf("%w: the client-credentials flow needs a client id and secret", contactsync.ErrInvalid)
		}
		cfg := &clientcredentials.Config{
			ClientID:     cr.ClientID,
			ClientSecret: cr.ClientSecret,
			TokenURL:     tokenURL,
			AuthStyle:    oauth2.AuthStyleInParams,
		}
		m.fetch = func(ctx context.Context) (*oauth2.Token, error) { return cfg.Token(withClient(ctx)) }
	case contactsync.AuthJWT:
		key := cr.PrivateKeyPEM
		if len(key) == 0 && cr.PrivateKeyFile != "" {
			b, err := os.ReadFile(cr.PrivateKeyFile)
			if err != nil {
				return nil, fmt.Errorf("%w: read private key: %v", contactsync.ErrInvalid, err)
			}
			key = b
		}
		if cr.ClientID == "" || cr.Username == "" || len(key) == 0 {
			return nil, fmt.Errorf("%w: the JWT bearer flow needs a client id, a username and a private key", contactsync.ErrInvalid)
		}
		cfg := &jwt.Config{
			Email:      cr.ClientID,
			Subject:    cr.Username,
			PrivateKey: key,
			TokenURL:   tokenURL,
			Audience:   strings.TrimRight(loginURL, "/"),
			// Salesforce accepts assertions that expire within 3 minutes.
			Expires: 3 * time.Minute,
		}
		m.fetch = func(ctx context.Context) (*oauth2.Token, error) { return cfg.TokenSource(withClient(ctx)).Token() }
	default:
		return nil, fmt.Errorf("%w: unknown auth flow %q (want refresh_token, client_credentials or jwt)", contactsync.ErrInvalid, cr.Flow)
	}
	return m, nil
}

// token returns a session newer than generation stale (0: any session),
// fetching a new token if there is none. Callers that find a fetch under
// way wait for it instead of starting another.
func (m *tokenManager) token(ctx context.Context, stale uint64) (session, error) {
	m.mu.Lock()
	if m.latched != nil {
		m.mu.Unlock()
		return session{}, m.latched
	}
	if m.cur.gen > stale {
		s := m.cur
		m.mu.Unlock()
		return s, nil
	}
	f := m.pending
	if f == nil {
		f = &flight{done: make(chan struct{})}
		m.pending = f
		// The fetch outlives a cancelled caller: others may be waiting. It
		// ends within a minute, or when the client is closed.
		fctx, cancel := context.WithTimeout(m.ctx, time.Minute)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer cancel()
			m.run(fctx, f)
		}()
	}
	m.mu.Unlock()
	select {
	case <-f.done:
		return f.sess, f.err
	case <-ctx.Done():
		return session{}, ctx.Err()
	}
}

// close cancels a token fetch under way and waits for it to end.
func (m *tokenManager) close() {
	m.cancel()
	m.wg.Wait()
}

func (m *tokenManager) run(ctx context.Context, f *flight) {
	m.requests.Add(1)
	tok, err := m.fetch(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	defer close(f.done)
	m.pending = nil
	if err != nil {
		f.err = classifyTokenError(err)
		var re *ReauthError
		if errors.As(f.err, &re) {
			m.latched = f.err
		}
		return
	}
	inst, _ := tok.Extra("instance_url").(string)
	if inst == "" {
		f.err = errors.New("salesforce: token response has no instance_url")
		return
	}
	m.cur = session{accessToken: tok.AccessToken, instanceURL: strings.TrimRight(inst, "/"), gen: m.cur.gen + 1}
	f.sess = m.cur
}

// permanentOAuthErrors need a person to fix the connection or the
// credentials; retrying them only burns requests.
var permanentOAuthErrors = map[string]bool{
	"invalid_grant":          true,
	"invalid_client_id":      true,
	"invalid_client":         true,
	"unauthorized_client":    true,
	"inactive_user":          true,
	"inactive_org":           true,
	"unsupported_grant_type": true,
}

// classifyTokenError turns an OAuth error into a *ReauthError when it is
// permanent and into an *APIError otherwise. It never includes the request,
// which carries secrets.
func classifyTokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("salesforce: token request: %w", err)
	}
	code, desc := re.ErrorCode, re.ErrorDescription
	if code == "" {
		var body struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil {
			code, desc = body.Error, body.ErrorDescription
		}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	if permanentOAuthErrors[code] {
		return &ReauthError{Code: code, Description: desc}
	}
	return &APIError{Status: status, Code: code, Message: "token request failed: " + desc}
}

// WebFlow is the OAuth 2.0 web-server flow with PKCE, which `contactsync
// connect` uses to obtain a refresh token.
type WebFlow struct {
	LoginURL               string
	ClientID, ClientSecret string
	RedirectURL            string
	// Scopes default to api, refresh_token and offline_access.
	Scopes []string
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient *http.Client
}

// Connected is the outcome of a completed web-server flow. RefreshToken is a
// secret: store it encrypted and never log it.
type Connected struct {
	RefreshToken string
	InstanceURL  string
	// IdentityURL is Salesforce's id URL for the authorizing user.
	IdentityURL string
}

func (w WebFlow) config() *oauth2.Config {
	login := strings.TrimRight(w.LoginURL, "/")
	if login == "" {
		login = DefaultLoginURL
	}
	scopes := w.Scopes
	if len(scopes) == 0 {
		scopes = []string{"api", "refresh_token", "offline_access"}
	}
	return &oauth2.Config{
		ClientID:     w.ClientID,
		ClientSecret: w.ClientSecret,
		RedirectURL:  w.RedirectURL,
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   login + "/services/oauth2/authorize",
			TokenURL:  login + tokenPath,
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// NewVerifier returns a fresh PKCE code verifier.
func NewVerifier() string { return oauth2.GenerateVerifier() }

// AuthCodeURL returns the URL to send the person to. state protects against
// CSRF; verifier is a NewVerifier value kept for Exchange.
func (w WebFlow) AuthCodeURL(state, verifier string) string {
	return w.config().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

// Exchange trades the authorization code for tokens and returns the refresh
// token and the instance URL.
func (w WebFlow) Exchange(ctx context.Context, code, verifier string) (Connected, error) {
	hc := w.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	tok, err := w.config().Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Connected{}, classifyTokenError(err)
	}
	c := Connected{RefreshToken: tok.RefreshToken}
	c.InstanceURL, _ = tok.Extra("instance_url").(string)
	c.IdentityURL, _ = tok.Extra("id").(string)
	if c.RefreshToken == "" {
		return c, errors.New("salesforce: no refresh token granted; the connected app needs the refresh_token (offline_access) scope")
	}
	return c, nil
}
