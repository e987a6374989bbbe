package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Syncer runs one sync pass over a workspace. The scheduler implements it;
// Trigger returns contactsync.ErrLeaseHeld when a pass is already running
// elsewhere, and the run summary, even when the pass ended with an error.
type Syncer interface {
	Trigger(ctx context.Context, ws string, opts contactsync.Options) (contactsync.RunSummary, error)
}

// Config is what a Server needs. Store is required; every other field is
// optional, and the endpoints that need a missing one answer 501.
type Config struct {
	// Store is the workspace's storage.
	Store contactsync.Store
	// Syncer triggers passes for /admin/v1/sync and /admin/v1/backfill.
	Syncer Syncer
	// Converter creates Leads and Cases from contacts.
	Converter Converter
	// Reader reads live Salesforce fields and API usage.
	Reader SalesforceReader
	// Matcher, when set, has the keys of every contact written through the
	// API invalidated so the engine does not match against stale entries.
	Matcher *contactsync.Matcher
	// Idempotency records the answers of Lead and Case creations made with
	// an Idempotency-Key; Store, when it implements
	// contactsync.IdempotencyStore and this is nil. Without either, such
	// requests answer 501.
	Idempotency contactsync.IdempotencyStore
	// Auditor records settings changes.
	Auditor *contactsync.Auditor
	// AdminToken is the bearer token required on everything but /healthz
	// and /readyz. Empty disables authentication: cmd then listens on
	// loopback only (see CheckListenAddr), and the server only answers
	// requests whose Host is a loopback name, against DNS rebinding.
	AdminToken string
	// OpenMetrics serves /metrics without the token.
	OpenMetrics bool
	// Workspace is the workspace used when a request names none (with
	// ?workspace= or the X-Contactsync-Workspace header);
	// contactsync.DefaultWorkspace when empty.
	Workspace string
	// CacheTTL is how long live Salesforce fields are cached; 60 s when
	// zero.
	CacheTTL time.Duration
	// Logger logs request failures; discarded when nil.
	Logger *slog.Logger
	// Ready reports whether the service can take traffic (database
	// reachable, migrations at head, connection not failed). When nil,
	// /readyz checks that the default workspace can be read.
	Ready func(ctx context.Context) error
	// Metrics are served on /metrics; NewMetrics(nil) when nil.
	Metrics *Metrics
	// MaxBodyBytes caps request bodies; 1 MiB when zero.
	MaxBodyBytes int64
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server serves the admin API, the contacts API, the admin page, health and
// metrics. Create it with New; Close waits for syncs it started.
type Server struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	mux     *http.ServeMux
	cache   *fieldCache
	idem    contactsync.IdempotencyStore
	// sessionKey derives admin page sessions and CSRF tokens.
	sessionKey []byte

	ctx    context.Context
	cancel context.CancelFunc
	wg     gosync.WaitGroup
	mu     gosync.Mutex
	// running holds the workspaces with a sync started by this server.
	running map[string]bool
}

// Defaults.
const (
	DefaultCacheTTL     = 60 * time.Second
	DefaultMaxBodyBytes = 1 << 20
)

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Workspace == "" {
		cfg.Workspace = contactsync.DefaultWorkspace
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := cfg.Metrics
	if m == nil {
		m = NewMetrics(nil)
	}
	if cfg.Idempotency == nil {
		cfg.Idempotency, _ = cfg.Store.(contactsync.IdempotencyStore)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:        cfg,
		log:        log,
		metrics:    m,
		cache:      newFieldCache(cfg.CacheTTL),
		idem:       cfg.Idempotency,
		sessionKey: deriveKey(cfg.AdminToken, "contactsync admin session"),
		ctx:        ctx,
		cancel:     cancel,
		running:    make(map[string]bool),
	}
	m.collectFrom(s)
	s.routes()
	return s
}

// Close cancels the syncs the server started in the background and waits for
// them to return.
func (s *Server) Close() error {
	// Under mu, so that startSync either sees the cancellation or has added
	// its goroutine to wg before Wait.
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s }

func (s *Server) routes() {
	mux := http.NewServeMux()
	api := func(pattern string, h apiFunc) { mux.Handle(pattern, s.api(h)) }
	page := func(pattern string, h pageFunc) { mux.Handle(pattern, s.page(h)) }

	api("GET /healthz", s.handleHealthz)
	api("GET /readyz", s.handleReadyz)
	mux.Handle("GET /metrics", s.metrics.handler())

	api("GET /admin/v1/settings", s.handleGetSettings)
	api("PATCH /admin/v1/settings", s.handlePatchSettings)
	api("POST /admin/v1/sync", s.handleSync(false))
	api("POST /admin/v1/backfill", s.handleSync(true))
	api("GET /admin/v1/status", s.handleStatus)

	api("GET /api/v1/contacts", s.handleListContacts)
	api("POST /api/v1/contacts", s.handleCreateContact)
	api("GET /api/v1/contacts/{id}", s.handleGetContact)
	api("PATCH /api/v1/contacts/{id}", s.handlePatchContact)
	api("GET /api/v1/contacts/{id}/salesforce", s.handleSalesforceFields)
	api("POST /api/v1/contacts/{id}/salesforce/leads", s.handleCreateLead)
	api("POST /api/v1/contacts/{id}/salesforce/cases", s.handleCreateCase)

	api("GET /admin/{$}", s.handlePage)
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/", http.StatusSeeOther)
	})
	page("POST /admin/login", s.handleLogin)
	page("POST /admin/logout", s.handleLogout)
	page("POST /admin/settings", s.handlePageSettings)
	page("POST /admin/sync", s.handlePageSync)
	s.mux = mux
}

// ServeHTTP authenticates the request, then routes it. Unknown paths and
// wrong methods get JSON errors like every other failure.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Now()
	sw := &statusWriter{ResponseWriter: w}
	h, pattern := s.mux.Handler(r)
	defer func() {
		s.metrics.observeRequest(pattern, sw.status(), s.cfg.Now().Sub(start))
	}()
	if !s.hostAllowed(r) {
		writeError(sw, r, errorf(http.StatusForbidden, "forbidden_host", "without an admin token the server only answers requests to a loopback host"))
		return
	}
	if !s.public(r, pattern) {
		if err := s.authenticate(r); err != nil {
			writeError(sw, r, toError(err))
			return
		}
	}
	if pattern == "" {
		// Not found or wrong method: let the mux decide which, but answer
		// in JSON.
		rec := &discardWriter{header: make(http.Header)}
		h.ServeHTTP(rec, r)
		if allow := rec.header.Get("Allow"); allow != "" {
			sw.Header().Set("Allow", allow)
		}
		switch rec.code {
		case http.StatusMethodNotAllowed:
			writeError(sw, r, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s", r.Method, r.URL.Path))
		default:
			writeError(sw, r, errorf(http.StatusNotFound, "not_found", "no such endpoint: %s", r.URL.Path))
		}
		return
	}
	// The mux routes again so that r carries its pattern and path values.
	s.mux.ServeHTTP(sw, r)
}

// public reports whether the request needs no token: health, and the admin
// page's own login flow (the page asks for the token itself).
func (s *Server) public(r *http.Request, pattern string) bool {
	switch pattern {
	case "GET /healthz", "GET /readyz", "GET /admin/{$}", "GET /admin", "POST /admin/login", "POST /admin/logout":
		return true
	case "GET /metrics":
		return s.cfg.OpenMetrics
	}
	return false
}

var workspacePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// workspace returns the workspace a request is about: ?workspace=, the
// X-Contactsync-Workspace header, or the configured default.
func (s *Server) workspace(r *http.Request) (string, error) {
	ws := r.URL.Query().Get("workspace")
	if ws == "" {
		ws = r.Header.Get("X-Contactsync-Workspace")
	}
	if ws == "" {
		return s.cfg.Workspace, nil
	}
	if !workspacePattern.MatchString(ws) {
		return "", errorf(http.StatusBadRequest, "invalid", "workspace must be 1 to 64 letters, digits, '.', '_' or '-'")
	}
	return ws, nil
}

// workspaceRequest refuses query parameters other than allowed (see
// checkQuery) and returns the request's workspace.
func (s *Server) workspaceRequest(r *http.Request, allowed ...string) (string, error) {
	if err := checkQuery(r.URL.Query(), allowed...); err != nil {
		return "", err
	}
	return s.workspace(r)
}

// statusWriter remembers the status code for metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// discardWriter captures what the mux's not-found and not-allowed handlers
// would have written.
type discardWriter struct {
	header http.Header
	code   int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(b), nil
}

var _ prometheus.Collector = (*Metrics)(nil)
