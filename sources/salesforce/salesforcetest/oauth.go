package salesforcetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// session is a live access token.
type session struct {
	user    uint32
	expires time.Time
	refresh string // the refresh token it was minted from, if any
}

// grant is a live refresh token.
type grant struct {
	scope string
	user  uint32
}

// authCode is an authorization code waiting to be exchanged.
type authCode struct {
	redirectURI string
	challenge   string // PKCE S256 code_challenge, if one was sent
	method      string
	scope       string
	expires     time.Time
}

// defaultScope is what the connected app grants when authorize asks for no
// scope in particular.
const defaultScope = "api refresh_token"

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token,omitempty"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, oauthError{code, desc})
}

// handleToken serves POST /services/oauth2/token for every grant type.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.ctl.Lock()
	s.stats.TokenRequests++
	s.ctl.Unlock()
	if f := s.fault(EndpointToken, false); f != nil && s.serveFault(w, r, f, true) {
		return
	}
	if r.Method != http.MethodPost {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "must use HTTP POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed request body")
		return
	}
	form := r.PostForm
	clientID, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	grantType := form.Get("grant_type")
	var (
		user    uint32 = userIntegration
		scope          = "api"
		refresh string
	)
	switch grantType {
	case "refresh_token":
		if !s.checkClient(w, clientID, secret, false) {
			return
		}
		s.ctl.Lock()
		g, ok := s.refresh[form.Get("refresh_token")]
		s.ctl.Unlock()
		if !ok {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "expired access/refresh token")
			return
		}
		scope, refresh = g.scope, form.Get("refresh_token")
		if g.user != 0 {
			user = g.user
		}
	case "authorization_code":
		if !s.checkClient(w, clientID, secret, true) {
			return
		}
		s.ctl.Lock()
		code, ok := s.codes[form.Get("code")]
		delete(s.codes, form.Get("code")) // codes are single use
		s.ctl.Unlock()
		if !ok || s.now().After(code.expires) {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "invalid authorization code")
			return
		}
		if form.Get("redirect_uri") != code.redirectURI {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri must match configuration")
			return
		}
		if code.challenge != "" || form.Get("code_verifier") != "" {
			if !verifyPKCE(code.challenge, code.method, form.Get("code_verifier")) {
				writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "invalid code verifier")
				return
			}
		}
		scope = code.scope
		if hasScope(scope, "refresh_token") || hasScope(scope, "offline_access") || hasScope(scope, "full") {
			refresh = s.newToken("5Aep861")
			s.ctl.Lock()
			s.refresh[refresh] = grant{scope: scope, user: userIntegration}
			s.ctl.Unlock()
		}
	case "client_credentials":
		if clientID == "" || secret == "" {
			writeOAuthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
			return
		}
		if !s.checkClient(w, clientID, secret, true) {
			return
		}
	case "password":
		if !s.checkClient(w, clientID, secret, true) {
			return
		}
		pw := form.Get("password")
		if form.Get("username") != s.opts.Username ||
			(pw != s.opts.Password && !strings.HasPrefix(pw, s.opts.Password)) {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "authentication failure")
			return
		}
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if code, desc := s.verifyJWT(r, form.Get("assertion")); code != "" {
			writeOAuthError(w, http.StatusBadRequest, code, desc)
			return
		}
	case "":
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
		return
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
		return
	}

	resp := s.issue(r, user, scope, refresh)
	if grantType == "authorization_code" {
		resp.RefreshToken = refresh
	}
	writeJSON(w, http.StatusOK, resp)
}

// checkClient verifies the connected app's credentials; the secret is
// optional for the refresh token grant, as in Salesforce.
func (s *Server) checkClient(w http.ResponseWriter, id, secret string, needSecret bool) bool {
	if id != s.opts.ClientID {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return false
	}
	if (needSecret || secret != "") && subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) != 1 {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
		return false
	}
	return true
}

// issue mints an access token for user.
func (s *Server) issue(r *http.Request, user uint32, scope, refresh string) tokenResponse {
	now := s.now()
	token := s.newToken(s.orgID[:15] + "!")
	s.ctl.Lock()
	s.sessions[token] = session{user: user, expires: now.Add(s.opts.SessionTimeout), refresh: refresh}
	s.ctl.Unlock()
	id := s.identityURL(r, user)
	issued := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(s.opts.ClientSecret))
	mac.Write([]byte(id + issued))
	return tokenResponse{
		AccessToken: token,
		Signature:   base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		Scope:       scope,
		InstanceURL: s.instanceURL(r),
		ID:          id,
		TokenType:   "Bearer",
		IssuedAt:    issued,
	}
}

// newToken returns prefix followed by opaque characters, unique per server.
func (s *Server) newToken(prefix string) string {
	s.ctl.Lock()
	s.tokenSeq++
	n := s.tokenSeq
	x := s.rng.Uint64()
	s.ctl.Unlock()
	sum := sha256.Sum256([]byte(strconv.FormatUint(n, 10) + ":" + strconv.FormatUint(x, 10) + s.opts.ClientSecret))
	return prefix + strings.NewReplacer("-", ".", "_", "").Replace(base64.RawURLEncoding.EncodeToString(sum[:]))
}

func (s *Server) instanceURL(r *http.Request) string {
	if s.InstanceURL != "" {
		return s.InstanceURL
	}
	return baseURL(r)
}

func (s *Server) loginURL(r *http.Request) string {
	if s.LoginURL != "" {
		return s.LoginURL
	}
	return baseURL(r)
}

func (s *Server) identityURL(r *http.Request, user uint32) string {
	return s.loginURL(r) + "/id/" + s.orgID + "/" + makeID("005", user)
}

func hasScope(scope, want string) bool {
	for _, f := range strings.Fields(scope) {
		if f == want {
			return true
		}
	}
	return false
}

func verifyPKCE(challenge, method, verifier string) bool {
	if challenge == "" || verifier == "" {
		return false
	}
	if method == "plain" {
		return subtle.ConstantTimeCompare([]byte(challenge), []byte(verifier)) == 1
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(challenge), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))) == 1
}

// authenticate returns the user of the request's bearer token.
func (s *Server) authenticate(r *http.Request) (uint32, bool) {
	h := r.Header.Get("Authorization")
	var token string
	switch {
	case strings.HasPrefix(h, "Bearer "):
		token = strings.TrimPrefix(h, "Bearer ")
	case strings.HasPrefix(h, "OAuth "):
		token = strings.TrimPrefix(h, "OAuth ")
	default:
		token = r.URL.Query().Get("oauth_token")
	}
	if token == "" {
		return 0, false
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	sess, ok := s.sessions[token]
	if !ok {
		return 0, false
	}
	if !s.now().Before(sess.expires) {
		delete(s.sessions, token)
		return 0, false
	}
	return sess.user, true
}

// handleAuthorize serves the web-server flow's authorize endpoint. It
// approves at once, as if the configured user had logged in and allowed
// access, and redirects with a code.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.opts.ClientID {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	}
	redirect := q.Get("redirect_uri")
	u, err := url.Parse(redirect)
	if redirect == "" || err != nil || !u.IsAbs() || (s.opts.CallbackURL != "" && redirect != s.opts.CallbackURL) {
		writeOAuthError(w, http.StatusBadRequest, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	}
	back := u.Query()
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	if q.Get("response_type") != "code" {
		back.Set("error", "unsupported_response_type")
		back.Set("error_description", "response type not supported")
		u.RawQuery = back.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	method := q.Get("code_challenge_method")
	if q.Get("code_challenge") != "" && method != "" && method != "S256" && method != "plain" {
		back.Set("error", "invalid_request")
		back.Set("error_description", "invalid code_challenge_method")
		u.RawQuery = back.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	scope := q.Get("scope")
	if scope == "" {
		scope = defaultScope
	}
	code := s.newToken("aPrx")
	s.ctl.Lock()
	s.codes[code] = authCode{redirectURI: redirect, challenge: q.Get("code_challenge"), method: method,
		scope: scope, expires: s.now().Add(15 * time.Minute)}
	s.ctl.Unlock()
	back.Set("code", code)
	u.RawQuery = back.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// handleRevoke serves /services/oauth2/revoke. Revoking a refresh token also
// ends the sessions minted from it.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	token := r.Form.Get("token")
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if _, ok := s.refresh[token]; ok {
		delete(s.refresh, token)
		for k, sess := range s.sessions {
			if sess.refresh == token {
				delete(s.sessions, k)
			}
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	if _, ok := s.sessions[token]; ok {
		delete(s.sessions, token)
		w.WriteHeader(http.StatusOK)
		return
	}
	writeOAuthError(w, http.StatusBadRequest, "unsupported_token_type", "this token type is not supported")
}

// ExpireSessions ends every access token: the next request with one gets 401
// INVALID_SESSION_ID. Refresh tokens stay valid.
func (s *Server) ExpireSessions() {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	clear(s.sessions)
}

// RevokeRefreshTokens revokes every refresh token, including the configured
// one, and ends all sessions: refreshing answers 400 invalid_grant "expired
// access/refresh token" from now on.
func (s *Server) RevokeRefreshTokens() {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	clear(s.refresh)
	clear(s.sessions)
}

// AddRefreshToken makes token a valid refresh token again, as after an
// administrator re-authorized the connected app.
func (s *Server) AddRefreshToken(token string) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.refresh[token] = grant{scope: defaultScope}
}
