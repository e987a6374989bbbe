package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	gosync "sync"
	"time"

	"github.com/contactsync/contactsync/cmd/contactsync/internal/httpapi"
	"github.com/contactsync/contactsync/config"
	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

// app is everything a sync-running subcommand needs, built from the
// configuration in one place (wire). Main.Close releases it.
type app struct {
	cfg     config.Config
	store   *store.Store
	metrics *httpapi.Metrics
	audit   *contactsync.Auditor
	sources *sourceProvider
	engine  *contactsync.Engine
}

// wireOptions change what wire builds.
type wireOptions struct {
	// migrate applies pending migrations when opening the database (every
	// command that syncs does; tests may open a migrated database).
	migrate bool
	// auditOut, when set, receives the audit log instead of
	// CONTACTSYNC_AUDIT_LOG's destination.
	auditOut io.Writer
}

// wire builds the store, the audit logger, the Salesforce source provider
// and the engine from m.Config, and makes sure the configured workspace
// exists with the configured defaults (and, when the environment carries
// credentials, a connection). Everything it opens is closed by m.Close.
func (m *Main) wire(ctx context.Context, o wireOptions) (*app, error) {
	cfg := m.Config
	st, err := m.openStore(ctx, o.migrate)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, store: st, metrics: httpapi.NewMetrics(nil)}

	auditOut := o.auditOut
	if auditOut == nil {
		if auditOut, err = m.auditWriter(cfg.AuditLog); err != nil {
			return nil, err
		}
	}
	a.audit = contactsync.NewAuditor(a.metrics.AuditHandler(slog.NewJSONHandler(auditOut, nil)))

	a.sources = newSourceProvider(st, cfg, m.Logger)
	m.onClose(a.sources.Close)

	a.engine = contactsync.NewEngine(st, a.sources, cfg.CacheTTL)
	a.engine.Fields = cfg.FieldMap
	a.engine.Marker = contactsync.BulkMarker{Field: cfg.BulkImportMarker.Field, Value: cfg.BulkImportMarker.Value}
	a.engine.BulkThreshold = cfg.BulkThreshold
	if cfg.BulkThreshold == 0 {
		a.engine.BulkThreshold = -1 // config's 0 means never; the engine's 0 means its default
	}
	a.engine.Audit = a.audit
	a.engine.Logger = m.Logger

	if err := a.ensureWorkspace(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// auditWriter opens the audit log's destination: stdout, stderr or a file
// appended to (closed by m.Close).
func (m *Main) auditWriter(dest string) (io.Writer, error) {
	switch dest {
	case config.AuditStdout, "":
		return m.Stdout, nil
	case config.AuditStderr:
		return m.Stderr, nil
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	m.onClose(f.Close)
	return f, nil
}

// ensureWorkspace creates the configured workspace with the configured
// default settings if it does not exist, and stores the connection the
// environment describes when the workspace has none yet (or, for a refresh
// token, when the stored one was rejected and the environment has another).
func (a *app) ensureWorkspace(ctx context.Context) error {
	ws := a.cfg.Workspace
	if _, err := a.store.EnsureWorkspace(ctx, ws, a.cfg.Settings); err != nil {
		return fmt.Errorf("ensure workspace %q: %w", ws, err)
	}
	sf := a.cfg.Salesforce
	if !sf.Configured() {
		return nil
	}
	if sf.Auth == contactsync.AuthRefreshToken && !sf.RefreshToken.IsSet() {
		return nil // `contactsync connect` stores the token
	}
	cur, err := a.store.Connection(ctx, ws)
	switch {
	case errors.Is(err, contactsync.ErrNotFound):
	case err != nil:
		return fmt.Errorf("read connection of workspace %q: %w", ws, err)
	case sf.Auth == contactsync.AuthRefreshToken && cur.State == contactsync.StateNeedsReauth &&
		cur.RefreshToken != sf.RefreshToken.Reveal():
		// A new token in the environment replaces a rejected one.
	default:
		return nil // the stored connection (e.g. from connect) wins
	}
	c := contactsync.Connection{
		WorkspaceID:  ws,
		LoginURL:     sf.LoginURL,
		AuthFlow:     sf.Auth,
		Username:     sf.Username,
		RefreshToken: sf.RefreshToken.Reveal(),
		State:        contactsync.StateConnected,
	}
	if err := a.store.SaveConnection(ctx, c); err != nil {
		return fmt.Errorf("store the connection from the environment: %w", err)
	}
	return nil
}

// sourceProvider hands the engine one Salesforce source per workspace. It
// keeps one client per workspace, so concurrent users of a workspace share
// its access token, its single refresh on 401 and its API budget, and a
// rejected refresh token stays rejected (no retry loop) until the
// connection is saved again with another token.
type sourceProvider struct {
	store     contactsync.ConnectionStore
	sf        config.Salesforce
	threshold float64
	log       *slog.Logger
	transport *http.Transport

	mu      gosync.Mutex
	clients map[string]cachedSource // by workspace id
	// retired are clients replaced after their connection changed; a pass
	// may still be using one, so they are closed only with the provider.
	retired []*salesforce.Client
}

type cachedSource struct {
	key string
	src *salesforce.Source
}

func newSourceProvider(st contactsync.ConnectionStore, cfg config.Config, log *slog.Logger) *sourceProvider {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &sourceProvider{
		store:     st,
		sf:        cfg.Salesforce,
		threshold: cfg.APIPauseThreshold,
		log:       log,
		transport: tr,
		clients:   map[string]cachedSource{},
	}
}

// Source implements contactsync.SourceProvider.
func (p *sourceProvider) Source(ctx context.Context, ws contactsync.Workspace) (contactsync.Source, error) {
	conn, err := p.store.Connection(ctx, ws.ID)
	if errors.Is(err, contactsync.ErrNotFound) {
		return nil, fmt.Errorf("workspace %q has no Salesforce connection (run contactsync connect): %w", ws.ID, err)
	}
	if err != nil {
		return nil, err
	}
	if conn.State == contactsync.StateNeedsReauth {
		// Latched across processes: asking again with the same token only
		// burns a token request.
		return nil, fmt.Errorf("%w: %s", contactsync.ErrReauthRequired, conn.StateReason)
	}
	key := connectionKey(conn)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[ws.ID]; ok && c.key == key {
		return c.src, nil
	}
	client, err := p.client(conn)
	if err != nil {
		return nil, err
	}
	if old, ok := p.clients[ws.ID]; ok {
		p.retired = append(p.retired, old.src.Client())
	}
	src := salesforce.NewSource(client)
	p.clients[ws.ID] = cachedSource{key: key, src: src}
	return src, nil
}

// client builds a new client for conn, with the connected app's
// credentials from the configuration. doctor uses it directly, to test the
// credentials without the cache.
func (p *sourceProvider) client(conn contactsync.Connection) (*salesforce.Client, error) {
	flow := conn.AuthFlow
	if flow == "" {
		flow = p.sf.Auth
	}
	login := conn.LoginURL
	if login == "" {
		login = p.sf.LoginURL
	}
	user := conn.Username
	if user == "" {
		user = p.sf.Username
	}
	c, err := salesforce.New(salesforce.Config{
		LoginURL:   login,
		HTTPClient: &http.Client{Transport: p.transport, Timeout: 2 * time.Minute},
		Credentials: salesforce.Credentials{
			Flow:           flow,
			ClientID:       p.sf.ClientID,
			ClientSecret:   p.sf.ClientSecret.Reveal(),
			RefreshToken:   conn.RefreshToken,
			Username:       user,
			PrivateKeyFile: p.sf.PrivateKeyFile,
		},
		PauseThreshold: p.threshold,
		Logger:         p.log,
	})
	if err != nil {
		return nil, fmt.Errorf("salesforce client for workspace %q: %w", conn.WorkspaceID, err)
	}
	return c, nil
}

// Close ends the clients' token requests still under way and drops idle
// connections to Salesforce.
func (p *sourceProvider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.clients {
		c.src.Client().Close()
	}
	for _, c := range p.retired {
		c.Close()
	}
	p.clients, p.retired = map[string]cachedSource{}, nil
	p.transport.CloseIdleConnections()
	return nil
}

// connectionKey identifies what a client was built from; a different key
// (a new token from connect, another login host) means a new client.
func connectionKey(c contactsync.Connection) string {
	h := sha256.Sum256([]byte(c.RefreshToken))
	return c.LoginURL + "|" + string(c.AuthFlow) + "|" + c.Username + "|" + hex.EncodeToString(h[:])
}

// lockedWriter serializes writes so that summary lines, audit lines and
// messages written from several goroutines never interleave.
type lockedWriter struct {
	mu gosync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
