package salesforcetest

import (
	"crypto/rsa"
	"crypto/x509"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. The zero value is a usable empty org.
type Options struct {
	// ClientID and ClientSecret identify the one connected app the org
	// knows. They default to "sim-client-id" and "sim-client-secret".
	ClientID, ClientSecret string
	// RefreshToken is a refresh token valid from the start, as if the
	// connected app had been authorized already. It defaults to
	// "sim-refresh-token".
	RefreshToken string
	// Username and Password are the API user's credentials for the
	// password and JWT bearer grants and the authorize endpoint. They
	// default to "integration@contactsync.example" and "sim-password".
	Username, Password string
	// APILimit is the rolling 24-hour API budget. It defaults to 100,000.
	APILimit int
	// SessionTimeout is how long an access token lives; afterwards
	// requests using it get 401 INVALID_SESSION_ID. It defaults to 2 hours.
	SessionTimeout time.Duration
	// Contacts is the number of contacts seeded, deterministically from
	// Seed.
	Contacts int
	Seed     int64
	// Now is the clock; it defaults to time.Now.
	Now func() time.Time
	// JWTPublicKey verifies the signature of JWT bearer assertions. When it
	// is nil, JWTCertificate's key is used; when both are nil, the JWT bearer
	// grant is refused.
	JWTPublicKey   *rsa.PublicKey
	JWTCertificate *x509.Certificate
	// CallbackURL, when set, is the only redirect_uri the authorize and
	// token endpoints accept. Any redirect_uri is accepted otherwise.
	CallbackURL string
	// BulkQueryDelay is how long a Bulk API 2.0 query job takes, in real
	// time, from creation to JobComplete (InProgress from half way). It
	// defaults to 100 ms; a negative value completes jobs at once.
	BulkQueryDelay time.Duration
}

func (o *Options) setDefaults() {
	if o.ClientID == "" {
		o.ClientID = "sim-client-id"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "sim-client-secret"
	}
	if o.RefreshToken == "" {
		o.RefreshToken = "sim-refresh-token"
	}
	if o.Username == "" {
		o.Username = "integration@contactsync.example"
	}
	if o.Password == "" {
		o.Password = "sim-password"
	}
	if o.APILimit <= 0 {
		o.APILimit = 100000
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 2 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.JWTPublicKey == nil && o.JWTCertificate != nil {
		if k, ok := o.JWTCertificate.PublicKey.(*rsa.PublicKey); ok {
			o.JWTPublicKey = k
		}
	}
}

// Server is an in-memory Salesforce org served over HTTP. All its methods are
// safe for concurrent use.
type Server struct {
	// LoginURL is the base URL of the login host (like
	// https://login.salesforce.com) and InstanceURL the base URL of the
	// org's instance, both without a trailing slash. They are set by
	// NewServer and Start; when serving Handler yourself, set them before
	// the first request.
	LoginURL, InstanceURL string

	opts            Options
	login, instance *httptest.Server
	handler         http.Handler

	// mu guards the org's data.
	mu       sync.RWMutex
	touches  uint64 // Touch calls so far (guarded by mu)
	objs     map[string]*object
	orgID    string
	dupRule  bool
	emailIdx map[string][]uint32 // lower-cased Contact Email → live contacts, while dupRule is on

	// ctl guards everything else: sessions, budget, statistics, faults and
	// query cursors.
	ctl         sync.Mutex
	sessions    map[string]session
	refresh     map[string]grant
	codes       map[string]authCode
	usage       usage
	apiDisabled bool
	stats       Stats
	faults      []*faultState
	rng         *rand.Rand
	cursors     map[string]*cursor
	cursorSeq   uint32
	tokenSeq    uint64
	bulk        bulkState
}

// Well-known users, by sequence number.
const (
	userIntegration uint32 = iota + 1 // the API user every token acts as
	userAdmin                         // a person using the UI
	userDataLoader                    // bulk imports
	userAutomation                    // flows and other automation
	firstSalesUser                    // seeded record owners follow
)

const salesUsers = 6

// NewServer starts and returns a Server on two loopback listeners, one for
// the login host and one for the instance. The caller must Close it.
func NewServer(opts Options) *Server {
	s := NewUnstartedServer(opts)
	s.Start()
	return s
}

// NewUnstartedServer returns a seeded Server that is not listening yet. Call
// Start, or serve Handler on a listener of your own.
func NewUnstartedServer(opts Options) *Server {
	opts.setDefaults()
	s := &Server{opts: opts}
	s.handler = s.routes()
	s.login = httptest.NewUnstartedServer(s.handler)
	s.instance = httptest.NewUnstartedServer(s.handler)
	s.Reset()
	return s
}

// Start starts the login and instance listeners and sets LoginURL and
// InstanceURL.
func (s *Server) Start() {
	s.login.Start()
	s.instance.Start()
	s.LoginURL = s.login.URL
	s.InstanceURL = s.instance.URL
}

// Close shuts both listeners down and waits for outstanding requests.
func (s *Server) Close() {
	if s.login.URL != "" {
		s.login.Close()
	}
	if s.instance.URL != "" {
		s.instance.Close()
	}
}

// Handler returns the HTTP handler serving both the login and the instance
// endpoints, for serving the org on an address of your choice.
func (s *Server) Handler() http.Handler { return s.handler }

// OrgID returns the 18-character id of the org.
func (s *Server) OrgID() string { return s.orgID }

// UserID returns the 18-character id of the API user that tokens act as.
func (s *Server) UserID() string { return makeID("005", userIntegration) }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Reset restores the org to its freshly seeded state: the seeded records
// only, no sessions but the configured refresh token, no faults, zero
// statistics and API usage.
func (s *Server) Reset() {
	objs := newSchema()
	now := s.now()
	seedUsers(objs["user"], now, s.opts.Username)
	seedContacts(objs["contact"], s.opts.Contacts, uint64(s.opts.Seed), now)

	s.mu.Lock()
	s.objs = objs
	s.orgID = makeID("00D", 1)
	s.dupRule = false
	s.emailIdx = nil
	s.mu.Unlock()

	s.ctl.Lock()
	s.sessions = make(map[string]session)
	s.refresh = map[string]grant{s.opts.RefreshToken: {scope: defaultScope}}
	s.codes = make(map[string]authCode)
	s.usage = usage{}
	s.apiDisabled = false
	s.stats = Stats{ByEndpoint: map[string]int{}}
	s.faults = nil
	s.rng = rand.New(rand.NewPCG(uint64(s.opts.Seed), 0x5f5f))
	s.cursors = make(map[string]*cursor)
	s.bulk = bulkState{}
	s.ctl.Unlock()
}

func (s *Server) now() time.Time { return s.opts.Now() }

// object returns the sObject named (case-insensitively) name, or nil.
// Callers hold s.mu.
func (s *Server) object(name string) *object { return s.objs[strings.ToLower(name)] }

// baseURL returns the scheme and host the request came in on.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
