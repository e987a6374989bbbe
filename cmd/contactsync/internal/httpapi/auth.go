package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Admin page sessions. The cookie holds an expiry and an HMAC of it keyed by
// a key derived from the admin token, never the token itself: changing the
// token ends every session.
const (
	sessionCookie = "contactsync_session"
	sessionTTL    = 12 * time.Hour
)

// CheckListenAddr refuses a non-loopback listen address when no admin token
// is configured: without a token anyone who can reach the port could change
// settings and read contacts.
func CheckListenAddr(addr, token string) error {
	if token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if !loopbackHost(host) {
		return fmt.Errorf("refusing to listen on %q without CONTACTSYNC_ADMIN_TOKEN: set a token, or listen on a loopback address such as 127.0.0.1:8080", addr)
	}
	return nil
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// hostAllowed protects a token-less (loopback-only) server from DNS
// rebinding: a page on another site that resolves its own name to 127.0.0.1
// sends that name as Host.
func (s *Server) hostAllowed(r *http.Request) bool {
	if s.cfg.AdminToken != "" {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return loopbackHost(host)
}

// authenticate accepts the bearer token or, for the admin page, a session
// cookie. Requests that change something and do not carry the bearer token
// must come from the server's own origin (CSRF).
func (s *Server) authenticate(r *http.Request) error {
	bearer, hasBearer := bearerToken(r)
	if hasBearer {
		if s.cfg.AdminToken == "" || tokenEqual(bearer, s.cfg.AdminToken) {
			return nil
		}
		return errorf(http.StatusUnauthorized, "unauthorized", "the bearer token is not valid")
	}
	if !safeMethod(r.Method) && !sameOrigin(r) {
		return errorf(http.StatusForbidden, "cross_origin", "cross-origin requests are refused; send the bearer token")
	}
	if s.cfg.AdminToken == "" {
		return nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil && s.validSession(c.Value) {
		return nil
	}
	if r.Header.Get("Authorization") != "" {
		return errorf(http.StatusUnauthorized, "unauthorized", "use Authorization: Bearer <token>")
	}
	return errorf(http.StatusUnauthorized, "unauthorized", "missing bearer token")
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// tokenEqual compares in constant time; hashing first hides the length too.
func tokenEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a state-changing request comes from the
// server's own pages. Browsers send Origin on every cross-origin POST/PATCH;
// without Origin (old browsers, non-browser clients), Sec-Fetch-Site decides,
// and a request with neither is not from a browser page.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		site := r.Header.Get("Sec-Fetch-Site")
		return site == "" || site == "same-origin" || site == "none"
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// deriveKey derives the session key from the admin token; with no token, a
// random key (sessions are not needed then, but CSRF tokens still are).
func deriveKey(token, label string) []byte {
	if token == "" {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return k
	}
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(label))
	return m.Sum(nil)
}

func (s *Server) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.sessionKey)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newSession returns a cookie value valid until now+sessionTTL.
func (s *Server) newSession() string {
	exp := strconv.FormatInt(s.cfg.Now().Add(sessionTTL).Unix(), 10)
	return "v1." + exp + "." + s.mac("session", exp)
}

func (s *Server) validSession(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.cfg.Now().Unix() >= exp {
		return false
	}
	return hmac.Equal([]byte(parts[2]), []byte(s.mac("session", parts[1])))
}

// csrfToken is the token the admin page's forms carry, bound to the session
// (or, without an admin token, to the server's random key).
func (s *Server) csrfToken(r *http.Request) string {
	session := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		session = c.Value
	}
	return s.mac("csrf", session)
}

func (s *Server) checkCSRF(r *http.Request) error {
	if !sameOrigin(r) {
		return errorf(http.StatusForbidden, "cross_origin", "cross-origin form posts are refused")
	}
	got := r.PostFormValue("csrf")
	if got == "" || !hmac.Equal([]byte(got), []byte(s.csrfToken(r))) {
		return errorf(http.StatusForbidden, "csrf", "the form is stale; reload the page and try again")
	}
	return nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
}
