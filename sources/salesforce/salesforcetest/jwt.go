package salesforcetest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// verifyJWT checks a JWT bearer assertion and returns the OAuth error code
// and description refusing it, or empty strings when it is good.
func (s *Server) verifyJWT(r *http.Request, assertion string) (code, desc string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "invalid_grant", "invalid assertion"
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp json.Number     `json:"exp"`
	}
	if err := decodeSegment(parts[0], &header); err != nil || header.Alg != "RS256" {
		return "invalid_grant", "invalid assertion"
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return "invalid_grant", "invalid assertion"
	}
	if claims.Iss != s.opts.ClientID {
		return "invalid_client_id", "client identifier invalid"
	}
	if !s.validAudience(r, claims.Aud) {
		return "invalid_grant", "audience is invalid"
	}
	exp, err := claims.Exp.Int64()
	if err != nil || !s.now().Before(time.Unix(exp, 0).Add(3*time.Minute)) {
		return "invalid_grant", "expired authorization code"
	}
	if s.opts.JWTPublicKey == nil {
		return "invalid_client", "invalid client credentials"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "invalid_grant", "invalid assertion"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(s.opts.JWTPublicKey, crypto.SHA256, sum[:], sig) != nil {
		return "invalid_grant", "invalid assertion"
	}
	if claims.Sub != s.opts.Username {
		return "invalid_grant", "user hasn't approved this consumer"
	}
	return "", ""
}

// validAudience accepts the login hosts Salesforce accepts: the public ones
// and this server's own.
func (s *Server) validAudience(r *http.Request, raw json.RawMessage) bool {
	var auds []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		auds = []string{one}
	} else if json.Unmarshal(raw, &auds) != nil {
		return false
	}
	for _, a := range auds {
		a = strings.TrimSuffix(a, "/")
		switch a {
		case "https://login.salesforce.com", "https://test.salesforce.com",
			s.loginURL(r), s.instanceURL(r), baseURL(r):
			return true
		}
	}
	return false
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	return d.Decode(v)
}
