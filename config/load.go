package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	contactsync "github.com/contactsync/contactsync/sync"
)

// minAdminToken is the shortest admin token accepted: shorter ones are
// guessable.
const minAdminToken = 16

var workspaceID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Load builds and validates the configuration from the environment, read
// through lookupEnv (os.LookupEnv in production, a map in tests), and from
// file when it is not empty. The environment overrides the file. An empty
// variable counts as unset. Every problem found is reported, joined with
// errors.Join; each names the variable or file key and what it accepts.
func Load(lookupEnv func(string) (string, bool), file string) (Config, error) {
	l := &loader{lookup: lookupEnv}
	c := Config{
		Settings: contactsync.DefaultSettings(),
		FieldMap: contactsync.DefaultFieldMap(),
	}
	if file != "" {
		f, err := readFile(file)
		if err != nil {
			l.errs = append(l.errs, err)
		} else {
			l.errs = append(l.errs, f.apply(file, &c)...)
		}
	}

	c.DatabaseURL = l.databaseURL()
	c.Workspace = l.str(EnvWorkspace, contactsync.DefaultWorkspace)
	if !workspaceID.MatchString(c.Workspace) {
		l.errorf(EnvWorkspace, "%q is not a workspace id (want lower-case letters, digits, - and _, starting with a letter or digit, up to 63 characters)", c.Workspace)
	}

	c.Salesforce = l.salesforce()

	c.Schedule = l.str(EnvSchedule, DefaultSchedule)
	if _, err := cron.ParseStandard(c.Schedule); err != nil {
		l.errorf(EnvSchedule, "%q is not a cron spec: %v (want e.g. @every 1m, @hourly, */5 * * * *)", c.Schedule, err)
	}
	c.HTTPAddr = l.str(EnvHTTPAddr, DefaultHTTPAddr)
	if err := checkAddr(c.HTTPAddr); err != nil {
		l.errorf(EnvHTTPAddr, "%q is not a listen address: %v (want host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080)", c.HTTPAddr, err)
	}
	c.AdminToken = Secret(l.str(EnvAdminToken, ""))
	if n := len(c.AdminToken); n > 0 && n < minAdminToken {
		l.errorf(EnvAdminToken, "too short (%d characters; want at least %d, e.g. openssl rand -hex 32)", n, minAdminToken)
	}
	c.OpenMetrics = l.boolean(EnvOpenMetrics, false)
	c.CacheTTL = l.duration(EnvCacheTTL, DefaultCacheTTL)
	c.SecretKey = l.secretKey()
	c.APIPauseThreshold = l.threshold()
	c.BulkThreshold = l.bulkThreshold()
	c.LogFormat = l.str(EnvLogFormat, DefaultLogFormat)
	if c.LogFormat != LogJSON && c.LogFormat != LogText {
		l.errorf(EnvLogFormat, "%q is not a log format (want json or text)", c.LogFormat)
	}
	c.AuditLog = l.auditLog()

	if v, ok := l.get(EnvPhoneRegion); ok {
		region := strings.ToUpper(v)
		if contactsync.ValidRegion(region) {
			c.Settings.PhoneRegion = region
		} else {
			l.errorf(EnvPhoneRegion, "%q is not a phone region (want an ISO 3166-1 alpha-2 code such as US, GB, DE, IN)", v)
		}
	}
	if _, ok := l.get(EnvPushNewContacts); ok {
		c.Settings.PushNewContacts = l.boolean(EnvPushNewContacts, false)
	}

	if len(c.Salesforce.RefreshToken) > 0 && len(c.SecretKey) == 0 {
		l.errs = append(l.errs, errors.New(EnvSecretKey+": required because "+EnvSalesforceRefreshToken+" is set (refresh tokens are stored encrypted); want 32 random bytes as base64 or 64 hex characters (e.g. openssl rand -base64 32)"))
	}
	if err := errors.Join(l.errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// loader reads variables and collects every error.
type loader struct {
	lookup func(string) (string, bool)
	errs   []error
}

// get returns a variable's trimmed value; empty counts as unset.
func (l *loader) get(name string) (string, bool) {
	v, ok := l.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (l *loader) str(name, def string) string {
	if v, ok := l.get(name); ok {
		return v
	}
	return def
}

func (l *loader) errorf(name, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf(name+": "+format, args...))
}

func (l *loader) boolean(name string, def bool) bool {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.errorf(name, "%q is not a boolean (want true or false)", v)
		return def
	}
	return b
}

func (l *loader) duration(name, def string) time.Duration {
	v := l.str(name, def)
	d, err := time.ParseDuration(v)
	if err != nil {
		l.errorf(name, "%q is not a duration (want e.g. 60s, 5m)", v)
		return 0
	}
	if d <= 0 {
		l.errorf(name, "%q is not positive (want e.g. 60s, 5m)", v)
	}
	return d
}

func (l *loader) threshold() float64 {
	v := l.str(EnvAPIPauseThreshold, DefaultAPIPauseThreshold)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f <= 1) { // also rejects NaN
		l.errorf(EnvAPIPauseThreshold, "%q is not a share of the daily limit (want a number above 0 and at most 1, e.g. 0.9)", v)
		return 0
	}
	return f
}

func (l *loader) bulkThreshold() int {
	v := l.str(EnvBulkThreshold, DefaultBulkThreshold)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		l.errorf(EnvBulkThreshold, "%q is not a record count (want a whole number, 0 to never use the Bulk API, e.g. 10000)", v)
		return 0
	}
	return n
}

func (l *loader) databaseURL() string {
	v := l.str(EnvDatabaseURL, DefaultDatabaseURL)
	const want = "(want postgres://user:pass@host:5432/db, or a SQLite file path, sqlite:path or file: URL)"
	if isPostgresURL(v) {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			// The value may hold a password: do not repeat it.
			l.errorf(EnvDatabaseURL, "not a valid PostgreSQL URL %s", want)
		}
		return v
	}
	if i := strings.Index(v, "://"); i > 0 && v[:i] != "sqlite" && v[:i] != "file" {
		l.errorf(EnvDatabaseURL, "unsupported scheme %q %s", v[:i], want)
	}
	return v
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

func (l *loader) salesforce() Salesforce {
	s := Salesforce{
		LoginURL:       strings.TrimSuffix(l.str(EnvSalesforceLoginURL, DefaultLoginURL), "/"),
		ClientID:       l.str(EnvSalesforceClientID, ""),
		ClientSecret:   Secret(l.str(EnvSalesforceClientSecret, "")),
		RefreshToken:   Secret(l.str(EnvSalesforceRefreshToken, "")),
		Auth:           contactsync.AuthFlow(l.str(EnvSalesforceAuth, string(contactsync.AuthRefreshToken))),
		Username:       l.str(EnvSalesforceUsername, ""),
		PrivateKeyFile: l.str(EnvSalesforcePrivateKey, ""),
	}
	if err := checkLoginURL(s.LoginURL); err != nil {
		l.errorf(EnvSalesforceLoginURL, "%q %v (want an https URL such as https://login.salesforce.com, https://test.salesforce.com or your My Domain; http only for localhost)", s.LoginURL, err)
	}
	needsID := func(name string) {
		if s.ClientID == "" {
			l.errorf(EnvSalesforceClientID, "required because %s is set (want the connected app's consumer key)", name)
		}
	}
	switch s.Auth {
	case contactsync.AuthRefreshToken:
		if s.RefreshToken.IsSet() {
			needsID(EnvSalesforceRefreshToken)
		}
	case contactsync.AuthClientCredentials:
		needsID(EnvSalesforceAuth + "=client_credentials")
		if !s.ClientSecret.IsSet() {
			l.errorf(EnvSalesforceClientSecret, "required for client_credentials (want the connected app's consumer secret)")
		}
	case contactsync.AuthJWT:
		needsID(EnvSalesforceAuth + "=jwt")
		if s.Username == "" {
			l.errorf(EnvSalesforceUsername, "required for jwt (want the Salesforce username to act as)")
		}
		if s.PrivateKeyFile == "" {
			l.errorf(EnvSalesforcePrivateKey, "required for jwt (want the path of the PEM private key whose certificate is on the connected app)")
		} else if st, err := os.Stat(s.PrivateKeyFile); err != nil || st.IsDir() {
			l.errorf(EnvSalesforcePrivateKey, "%q is not a readable file (want the path of a PEM private key)", s.PrivateKeyFile)
		}
	default:
		l.errorf(EnvSalesforceAuth, "%q is not an auth flow (want refresh_token, client_credentials or jwt)", s.Auth)
	}
	return s
}

func checkLoginURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return errors.New("is not a URL")
	case u.Host == "":
		return errors.New("has no host")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return errors.New("must not carry user info, a query or a fragment")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return errors.New("uses http, which would send credentials in clear")
	default:
		return fmt.Errorf("has unsupported scheme %q", u.Scheme)
	}
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func checkAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

// secretKey decodes CONTACTSYNC_SECRET_KEY. Errors never repeat the value.
func (l *loader) secretKey() EncryptionKey {
	v, ok := l.get(EnvSecretKey)
	if !ok {
		return nil
	}
	const want = "want 32 random bytes as base64 or 64 hex characters, e.g. openssl rand -base64 32"
	if len(v) == 64 {
		if b, err := hex.DecodeString(v); err == nil {
			return b
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(v)
		if err != nil {
			continue
		}
		if len(b) != 32 {
			l.errorf(EnvSecretKey, "decodes to %d bytes, not 32 (%s)", len(b), want)
			return nil
		}
		return b
	}
	l.errorf(EnvSecretKey, "neither base64 nor 64 hex characters (%s)", want)
	return nil
}

func (l *loader) auditLog() string {
	v := l.str(EnvAuditLog, DefaultAuditLog)
	if v == AuditStdout || v == AuditStderr {
		return v
	}
	dir := filepath.Dir(v)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		l.errorf(EnvAuditLog, "%q is in a directory that does not exist (want stdout, stderr or a file path in an existing directory)", v)
	}
	return v
}
