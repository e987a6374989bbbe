package salesforcetest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func signJWT(tb testing.TB, key *rsa.PrivateKey, claims map[string]any) string {
	tb.Helper()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestTokenGrants(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	s := MustServer(t, Options{JWTPublicKey: &key.PublicKey})
	o := s.Options()
	exp := fixedNow.Add(3 * time.Minute).Unix()
	jwt := func(k *rsa.PrivateKey, iss, sub, aud string, exp int64) string {
		return signJWT(t, k, map[string]any{"iss": iss, "sub": sub, "aud": aud, "exp": exp})
	}
	tests := []struct {
		name    string
		form    url.Values
		basic   bool
		status  int
		errBody string
	}{
		{"RefreshOK", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {o.RefreshToken}, "client_id": {o.ClientID}}, false, 200, ""},
		{"RefreshWithSecret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {o.RefreshToken}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret}}, false, 200, ""},
		{"ErrRefreshUnknown", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}, "client_id": {o.ClientID}}, false, 400,
			`{"error":"invalid_grant","error_description":"expired access/refresh token"}`},
		{"ErrRefreshBadClient", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {o.RefreshToken}, "client_id": {"x"}}, false, 400,
			`{"error":"invalid_client_id","error_description":"client identifier invalid"}`},
		{"ErrRefreshBadSecret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {o.RefreshToken}, "client_id": {o.ClientID}, "client_secret": {"x"}}, false, 400,
			`{"error":"invalid_client","error_description":"invalid client credentials"}`},
		{"ClientCredentialsForm", url.Values{"grant_type": {"client_credentials"}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret}}, false, 200, ""},
		{"ClientCredentialsBasic", url.Values{"grant_type": {"client_credentials"}}, true, 200, ""},
		{"ErrClientCredentialsNoSecret", url.Values{"grant_type": {"client_credentials"}, "client_id": {o.ClientID}}, false, 400,
			`{"error":"invalid_client","error_description":"invalid client credentials"}`},
		{"Password", url.Values{"grant_type": {"password"}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret}, "username": {o.Username}, "password": {o.Password + "SECURITYTOKEN"}}, false, 200, ""},
		{"ErrPassword", url.Values{"grant_type": {"password"}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret}, "username": {o.Username}, "password": {"wrong"}}, false, 400,
			`{"error":"invalid_grant","error_description":"authentication failure"}`},
		{"JWT", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt(key, o.ClientID, o.Username, "https://login.salesforce.com", exp)}}, false, 200, ""},
		{"ErrJWTSignature", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt(other, o.ClientID, o.Username, "https://login.salesforce.com", exp)}}, false, 400,
			`{"error":"invalid_grant","error_description":"invalid assertion"}`},
		{"ErrJWTIssuer", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt(key, "x", o.Username, "https://login.salesforce.com", exp)}}, false, 400,
			`{"error":"invalid_client_id","error_description":"client identifier invalid"}`},
		{"ErrJWTAudience", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt(key, o.ClientID, o.Username, "https://example.com", exp)}}, false, 400,
			`{"error":"invalid_grant","error_description":"audience is invalid"}`},
		{"ErrJWTExpired", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt(key, o.ClientID, o.Username, "https://login.salesforce.com", fixedNow.Add(-time.Hour).Unix())}}, false, 400,
			`{"error":"invalid_grant","error_description":"expired authorization code"}`},
		{"ErrJWTSubject", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt(key, o.ClientID, "someone@else", "https://login.salesforce.com", exp)}}, false, 400,
			`{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}`},
		{"ErrUnsupported", url.Values{"grant_type": {"implicit"}}, false, 400,
			`{"error":"unsupported_grant_type","error_description":"grant type not supported"}`},
	}
	tokenRE := regexp.MustCompile(`^00D5g0000000001!\S+$`)
	for _, tt := range tests {
		for _, host := range []string{s.LoginURL, s.InstanceURL} {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequest("POST", host+"/services/oauth2/token", strings.NewReader(tt.form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tt.basic {
					req.SetBasicAuth(o.ClientID, o.ClientSecret)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var raw map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&raw)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d: %v", resp.StatusCode, tt.status, raw)
				}
				if resp.Header.Get("Content-Type") != contentType {
					t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
				}
				if tt.status != 200 {
					b, _ := json.Marshal(raw)
					if string(b) != tt.errBody {
						t.Fatalf("body %s, want %s", b, tt.errBody)
					}
					return
				}
				if _, ok := raw["expires_in"]; ok {
					t.Fatal("token response has expires_in")
				}
				if _, ok := raw["refresh_token"]; ok {
					t.Fatal("token response has refresh_token")
				}
				want := map[string]any{"instance_url": s.InstanceURL, "token_type": "Bearer",
					"id":        s.LoginURL + "/id/" + s.OrgID() + "/" + s.UserID(),
					"issued_at": "1772600767000"}
				for k, v := range want {
					if raw[k] != v {
						t.Fatalf("%s = %v, want %v", k, raw[k], v)
					}
				}
				if !tokenRE.MatchString(raw["access_token"].(string)) || raw["signature"] == "" || raw["scope"] == "" {
					t.Fatalf("bad token response %v", raw)
				}
			})
		}
	}
}

func TestAuthorizationCodePKCE(t *testing.T) {
	s := MustServer(t, Options{})
	o := s.Options()
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func() string {
		u := s.LoginURL + "/services/oauth2/authorize?" + url.Values{"response_type": {"code"}, "client_id": {o.ClientID},
			"redirect_uri": {"http://localhost:9999/callback"}, "state": {"xyz"}, "scope": {"api refresh_token offline_access"},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode()
		resp, err := noRedirect.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != 302 || loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %s", resp.StatusCode, loc)
		}
		return loc.Query().Get("code")
	}
	exchange := func(code, verifier string) response {
		return postForm(t, s.LoginURL+"/services/oauth2/token", url.Values{"grant_type": {"authorization_code"},
			"code": {code}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret},
			"redirect_uri": {"http://localhost:9999/callback"}, "code_verifier": {verifier}})
	}
	if r := exchange(authorize(), "wrong-verifier"); r.status != 400 || r.body != `{"error":"invalid_grant","error_description":"invalid code verifier"}` {
		t.Fatalf("bad verifier: %d %s", r.status, r.body)
	}
	code := authorize()
	r := exchange(code, verifier)
	var tok tokenResponse
	r.json(t, &tok)
	if r.status != 200 || !strings.HasPrefix(tok.RefreshToken, "5Aep861") {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	if r := exchange(code, verifier); r.status != 400 || !strings.Contains(r.body, "invalid authorization code") {
		t.Fatalf("code reuse: %d %s", r.status, r.body)
	}
	// The new refresh token works, and revoking it stops it.
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {o.ClientID}}
	if r := postForm(t, s.LoginURL+"/services/oauth2/token", form); r.status != 200 {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	if r := postForm(t, s.LoginURL+"/services/oauth2/revoke", url.Values{"token": {tok.RefreshToken}}); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := postForm(t, s.LoginURL+"/services/oauth2/token", form); r.status != 400 || !strings.Contains(r.body, "invalid_grant") {
		t.Fatalf("refresh after revoke: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", s.InstanceURL+v62+"/limits", tok.AccessToken, ""); r.status != 401 {
		t.Fatalf("access token of a revoked refresh token: %d", r.status)
	}
}

func TestSessionExpiryAndRevocation(t *testing.T) {
	c := &clock{fixedNow}
	s := MustServer(t, Options{SessionTimeout: time.Hour, Now: c.Now})
	tok := MustToken(t, s)
	const want401 = `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`
	if r := do(t, "GET", s.InstanceURL+v62+"/limits", tok, ""); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	c.t = c.t.Add(time.Hour)
	if r := do(t, "GET", s.InstanceURL+v62+"/limits", tok, ""); r.status != 401 || r.body != want401 {
		t.Fatalf("expired token: %d %s", r.status, r.body)
	}
	tok = MustToken(t, s)
	s.ExpireSessions()
	if r := do(t, "GET", s.InstanceURL+v62+"/sobjects", tok, ""); r.status != 401 || r.body != want401 {
		t.Fatalf("after ExpireSessions: %d %s", r.status, r.body)
	}
	s.RevokeRefreshTokens()
	r := postForm(t, s.LoginURL+"/services/oauth2/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {s.Options().RefreshToken}, "client_id": {s.Options().ClientID}})
	if r.status != 400 || r.body != `{"error":"invalid_grant","error_description":"expired access/refresh token"}` {
		t.Fatalf("after RevokeRefreshTokens: %d %s", r.status, r.body)
	}
	if st := s.Stats(); st.TokenRequests != 3 || st.APICalls != 1 {
		t.Fatalf("stats %+v; want 3 token requests, 1 API call", st)
	}
}

func TestIdentityVersionsResources(t *testing.T) {
	s := MustServer(t, Options{})
	tok := MustToken(t, s)
	r := do(t, "GET", s.InstanceURL+"/services/data", "", "")
	if r.status != 200 || r.header.Get("Sforce-Limit-Info") != "" ||
		!strings.Contains(r.body, `{"label":"Winter '25","url":"/services/data/v62.0","version":"62.0"}`) {
		t.Fatalf("versions: %d %v %s", r.status, r.header, r.body)
	}
	r = do(t, "GET", s.InstanceURL+v62, tok, "")
	var res map[string]string
	r.json(t, &res)
	if res["query"] != v62+"/query" || res["sobjects"] != v62+"/sobjects" || res["identity"] == "" || res["limits"] == "" || res["composite"] == "" {
		t.Fatalf("resources: %s", r.body)
	}
	r = do(t, "GET", res["identity"], tok, "")
	var id map[string]any
	r.json(t, &id)
	urls, _ := id["urls"].(map[string]any)
	if r.status != 200 || id["user_id"] != s.UserID() || id["organization_id"] != s.OrgID() ||
		id["username"] != s.Options().Username || urls["rest"] != s.InstanceURL+"/services/data/v{version}/" {
		t.Fatalf("identity: %d %s", r.status, r.body)
	}
	r = do(t, "GET", s.LoginURL+"/services/oauth2/userinfo", tok, "")
	r.json(t, &id)
	if r.status != 200 || id["preferred_username"] != s.Options().Username || id["user_id"] != s.UserID() {
		t.Fatalf("userinfo: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", s.InstanceURL+"/services/data/v99.0/limits", tok, ""); r.status != 404 {
		t.Fatalf("unknown version: %d", r.status)
	}
}
