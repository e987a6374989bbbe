package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/contactsync/contactsync/config"
	"github.com/contactsync/contactsync/sources/salesforce"
	contactsync "github.com/contactsync/contactsync/sync"
)

const connectUsage = `connect [--config FILE] [--workspace W] [--redirect-url URL] [--listen ADDR] [--timeout D]

Authorizes a Salesforce org with the OAuth 2.0 web-server flow and PKCE: it
prints a URL to open in a browser, receives Salesforce's redirect on a
localhost callback, exchanges the code, and stores the refresh token
(encrypted with CONTACTSYNC_SECRET_KEY) and the instance URL as the
workspace's connection. The redirect URL must be a callback URL of the
connected app (CONTACTSYNC_SALESFORCE_CLIENT_ID).`

// defaultRedirectURL is the callback URL the README tells operators to put
// on the connected app.
const defaultRedirectURL = "http://localhost:1717/oauth/callback"

func runConnect(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("connect", connectUsage)
	file := configFlag(fs)
	wsFlag := fs.String("workspace", "", "`workspace` to connect (default CONTACTSYNC_WORKSPACE)")
	redirect := fs.String("redirect-url", "", "OAuth callback `URL` registered on the connected app (default "+defaultRedirectURL+", or http://ADDR/oauth/callback with --listen)")
	listen := fs.String("listen", "", "`address` the callback listener binds (default: the redirect URL's host and port)")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the browser")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("connect takes no arguments")
	}
	if err := m.loadConfig(*file); err != nil {
		return err
	}
	cfg := m.Config
	if err := cfg.RequireSecretKey(); err != nil {
		return err
	}
	if cfg.Salesforce.ClientID == "" {
		return errors.New(config.EnvSalesforceClientID + ": required by connect (want the connected app's consumer key)")
	}
	ws := *wsFlag
	if ws == "" {
		ws = cfg.Workspace
	}

	// Listen before printing the URL, so the redirect cannot come too early.
	redirectURL, listenAddr := *redirect, *listen
	if redirectURL == "" && listenAddr == "" {
		redirectURL = defaultRedirectURL
	}
	if listenAddr == "" {
		u, err := url.Parse(redirectURL)
		if err != nil || u.Host == "" {
			return usagef("connect: --redirect-url %q is not an absolute URL", redirectURL)
		}
		listenAddr = u.Host
		if u.Port() == "" {
			listenAddr = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return fmt.Errorf("listen for the OAuth callback on %s: %w", listenAddr, err)
	}
	if redirectURL == "" {
		redirectURL = "http://" + ln.Addr().String() + "/oauth/callback"
	}
	cb, err := url.Parse(redirectURL)
	if err != nil {
		ln.Close()
		return usagef("connect: --redirect-url %q: %v", redirectURL, err)
	}

	st, err := m.openStore(ctx, true)
	if err != nil {
		ln.Close()
		return err
	}
	if _, err := st.EnsureWorkspace(ctx, ws, cfg.Settings); err != nil {
		ln.Close()
		return fmt.Errorf("ensure workspace %q: %w", ws, err)
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	flow := salesforce.WebFlow{
		LoginURL: cfg.Salesforce.LoginURL, ClientID: cfg.Salesforce.ClientID,
		ClientSecret: cfg.Salesforce.ClientSecret.Reveal(), RedirectURL: redirectURL, HTTPClient: hc,
	}
	state, verifier := randomHex(16), salesforce.NewVerifier()

	type result struct {
		c   salesforce.Connected
		err error
	}
	results := make(chan result, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+cb.Path, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			// Not our flow (or a forged request): ignore it, keep waiting.
			callbackPage(w, http.StatusBadRequest, "This request does not belong to the running contactsync connect (state mismatch). Nothing was stored.")
			return
		}
		var res result
		if e := q.Get("error"); e != "" {
			res.err = fmt.Errorf("salesforce refused the authorization: %s: %s", e, q.Get("error_description"))
		} else if code := q.Get("code"); code == "" {
			res.err = errors.New("salesforce redirected without a code")
		} else {
			res.c, res.err = flow.Exchange(r.Context(), code, verifier)
		}
		if res.err != nil {
			callbackPage(w, http.StatusBadGateway, "Authorization failed: "+res.err.Error())
		} else {
			callbackPage(w, http.StatusOK, "contactsync is connected to Salesforce. You can close this tab.")
		}
		select {
		case results <- res:
		default:
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-served
	}()

	fmt.Fprintf(m.Stdout, "Open this URL in a browser and allow access (waiting on %s):\n\n  %s\n\n", redirectURL, flow.AuthCodeURL(state, verifier))

	var res result
	select {
	case res = <-results:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(*timeout):
		return fmt.Errorf("no callback within %v: open the URL above, and check that %s is a callback URL of the connected app", *timeout, redirectURL)
	}
	if res.err != nil {
		return res.err
	}
	conn := contactsync.Connection{
		WorkspaceID: ws, LoginURL: cfg.Salesforce.LoginURL, InstanceURL: res.c.InstanceURL,
		AuthFlow: contactsync.AuthRefreshToken, RefreshToken: res.c.RefreshToken, State: contactsync.StateConnected,
	}

	// Check the token works and find out who authorized it.
	p := newSourceProvider(st, cfg, m.Logger)
	defer p.Close()
	client, err := p.client(conn)
	if err != nil {
		return err
	}
	defer client.Close()
	org, userID := identityIDs(res.c.IdentityURL)
	who := userID
	if userID != "" {
		if u, err := client.Get(ctx, "User", userID, []string{"Username", "Name"}); err == nil {
			conn.Username, _ = u["Username"].(string)
			name, _ := u["Name"].(string)
			who = fmt.Sprintf("%s (%s, %s)", conn.Username, name, userID)
		} else {
			m.Logger.Warn("could not read the authorizing user", "err", err)
		}
	}
	if err := st.SaveConnection(ctx, conn); err != nil {
		return fmt.Errorf("store the connection: %w", err)
	}
	fmt.Fprintf(m.Stdout, "Connected workspace %q to Salesforce org %s as %s.\nInstance: %s\nThe refresh token is stored encrypted. Next: contactsync doctor, then contactsync serve.\n",
		ws, org, who, conn.InstanceURL)
	return nil
}

// identityIDs returns the org and user ids from an identity URL
// (https://login.salesforce.com/id/{orgId}/{userId}).
func identityIDs(id string) (org, user string) {
	u, err := url.Parse(id)
	if err != nil {
		return "", ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) >= 3 && parts[len(parts)-3] == "id" {
		return parts[len(parts)-2], parts[len(parts)-1]
	}
	return "", ""
}

func callbackPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>contactsync connect</title><p>%s</p>\n", html.EscapeString(msg))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
