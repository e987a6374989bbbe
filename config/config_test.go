package config_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/config"
	contactsync "github.com/contactsync/contactsync/sync"
)

// env returns a lookupEnv reading from m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// MustLoad loads with the given variables and no file, failing the test on
// error.
func MustLoad(tb testing.TB, m map[string]string) config.Config {
	tb.Helper()
	c, err := config.Load(env(m), "")
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return c
}

var (
	key32    = bytes.Repeat([]byte{0xab}, 32)
	key32B64 = base64.StdEncoding.EncodeToString(key32)
	key32Hex = strings.Repeat("ab", 32)
)

func TestLoad_Defaults(t *testing.T) {
	c := MustLoad(t, nil)
	checks := []struct {
		name      string
		got, want any
	}{
		{"DatabaseURL", c.DatabaseURL, "contactsync.db"},
		{"Postgres", c.Postgres(), false},
		{"Workspace", c.Workspace, "default"},
		{"LoginURL", c.Salesforce.LoginURL, "https://login.salesforce.com"},
		{"Auth", c.Salesforce.Auth, contactsync.AuthRefreshToken},
		{"Configured", c.Salesforce.Configured(), false},
		{"Schedule", c.Schedule, "@every 1m"},
		{"HTTPAddr", c.HTTPAddr, "127.0.0.1:8080"},
		{"AdminToken", c.AdminToken.IsSet(), false},
		{"OpenMetrics", c.OpenMetrics, false},
		{"CacheTTL", c.CacheTTL, 60 * time.Second},
		{"SecretKey", len(c.SecretKey), 0},
		{"APIPauseThreshold", c.APIPauseThreshold, 0.9},
		{"LogFormat", c.LogFormat, "text"},
		{"AuditLog", c.AuditLog, "stdout"},
		{"PhoneRegion", c.Settings.PhoneRegion, "US"},
		{"PushNewContacts", c.Settings.PushNewContacts, false},
		{"Settings", fmt.Sprint(c.Settings), fmt.Sprint(contactsync.DefaultSettings())},
		{"FieldMap", fmt.Sprint(c.FieldMap), fmt.Sprint(contactsync.DefaultFieldMap())},
		{"BulkImportMarker", c.BulkImportMarker, config.BulkImportMarker{}},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if err := c.RequireSecretKey(); err == nil || !strings.Contains(err.Error(), config.EnvSecretKey) {
		t.Errorf("RequireSecretKey without a key = %v, want an error naming %s", err, config.EnvSecretKey)
	}
}

// TestLoad_Vars covers every variable with accepted values (checked on the
// Config) and each kind of bad value (checked on the message).
func TestLoad_Vars(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "server.key")
	if err := os.WriteFile(pem, []byte("-----BEGIN PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	jwt := map[string]string{
		config.EnvSalesforceAuth:       "jwt",
		config.EnvSalesforceClientID:   "3MVG9id",
		config.EnvSalesforceUsername:   "integration@example.com",
		config.EnvSalesforcePrivateKey: pem,
	}
	with := func(base map[string]string, k, v string) map[string]string {
		m := map[string]string{k: v}
		for bk, bv := range base {
			if bk != k {
				m[bk] = bv
			}
		}
		return m
	}

	ok := []struct {
		name  string
		env   map[string]string
		check func(config.Config) any // returns the value to compare
		want  any
	}{
		{"DatabaseURL/Postgres", map[string]string{config.EnvDatabaseURL: "postgres://u:p@db:5432/cs?sslmode=disable"},
			func(c config.Config) any { return c.Postgres() }, true},
		{"DatabaseURL/Postgresql", map[string]string{config.EnvDatabaseURL: "postgresql://db/cs"},
			func(c config.Config) any { return c.Postgres() }, true},
		{"DatabaseURL/SQLitePath", map[string]string{config.EnvDatabaseURL: "/var/lib/contactsync/cs.db"},
			func(c config.Config) any { return c.DatabaseURL }, "/var/lib/contactsync/cs.db"},
		{"DatabaseURL/SQLiteScheme", map[string]string{config.EnvDatabaseURL: "sqlite:///tmp/cs.db"},
			func(c config.Config) any { return c.Postgres() }, false},
		{"DatabaseURL/EmptyIsDefault", map[string]string{config.EnvDatabaseURL: "  "},
			func(c config.Config) any { return c.DatabaseURL }, "contactsync.db"},
		{"Workspace", map[string]string{config.EnvWorkspace: "acme-eu_1"},
			func(c config.Config) any { return c.Workspace }, "acme-eu_1"},
		{"LoginURL/Sandbox", map[string]string{config.EnvSalesforceLoginURL: "https://test.salesforce.com/"},
			func(c config.Config) any { return c.Salesforce.LoginURL }, "https://test.salesforce.com"},
		{"LoginURL/LocalHTTP", map[string]string{config.EnvSalesforceLoginURL: "http://127.0.0.1:9999"},
			func(c config.Config) any { return c.Salesforce.LoginURL }, "http://127.0.0.1:9999"},
		{"ClientID", map[string]string{config.EnvSalesforceClientID: "3MVG9id"},
			func(c config.Config) any { return c.Salesforce.Configured() }, true},
		{"ClientSecret", map[string]string{config.EnvSalesforceClientID: "id", config.EnvSalesforceClientSecret: "s3cr3t"},
			func(c config.Config) any { return c.Salesforce.ClientSecret.Reveal() }, "s3cr3t"},
		{"RefreshToken", map[string]string{config.EnvSalesforceClientID: "id", config.EnvSalesforceRefreshToken: "5Aep861", config.EnvSecretKey: key32B64},
			func(c config.Config) any { return c.Salesforce.RefreshToken.Reveal() }, "5Aep861"},
		{"Auth/ClientCredentials", map[string]string{config.EnvSalesforceAuth: "client_credentials", config.EnvSalesforceClientID: "id", config.EnvSalesforceClientSecret: "s"},
			func(c config.Config) any { return c.Salesforce.Auth }, contactsync.AuthClientCredentials},
		{"Auth/JWT", jwt,
			func(c config.Config) any {
				return [3]string{string(c.Salesforce.Auth), c.Salesforce.Username, c.Salesforce.PrivateKeyFile}
			}, [3]string{"jwt", "integration@example.com", pem}},
		{"Schedule/Every", map[string]string{config.EnvSchedule: "@every 5m"},
			func(c config.Config) any { return c.Schedule }, "@every 5m"},
		{"Schedule/FiveFields", map[string]string{config.EnvSchedule: "*/5 * * * *"},
			func(c config.Config) any { return c.Schedule }, "*/5 * * * *"},
		{"HTTPAddr/AllInterfaces", map[string]string{config.EnvHTTPAddr: "0.0.0.0:8080"},
			func(c config.Config) any { return c.HTTPAddr }, "0.0.0.0:8080"},
		{"HTTPAddr/EphemeralPort", map[string]string{config.EnvHTTPAddr: "127.0.0.1:0"},
			func(c config.Config) any { return c.HTTPAddr }, "127.0.0.1:0"},
		{"HTTPAddr/Localhost", map[string]string{config.EnvHTTPAddr: "localhost:9000"},
			func(c config.Config) any { return c.HTTPAddr }, "localhost:9000"},
		{"AdminToken", map[string]string{config.EnvAdminToken: "0123456789abcdef"},
			func(c config.Config) any { return c.AdminToken.Reveal() }, "0123456789abcdef"},
		{"OpenMetrics", map[string]string{config.EnvOpenMetrics: "true"},
			func(c config.Config) any { return c.OpenMetrics }, true},
		{"PhoneRegion", map[string]string{config.EnvPhoneRegion: "GB"},
			func(c config.Config) any { return c.Settings.PhoneRegion }, "GB"},
		{"PhoneRegion/LowerCase", map[string]string{config.EnvPhoneRegion: "de"},
			func(c config.Config) any { return c.Settings.PhoneRegion }, "DE"},
		{"CacheTTL", map[string]string{config.EnvCacheTTL: "5m"},
			func(c config.Config) any { return c.CacheTTL }, 5 * time.Minute},
		{"SecretKey/Base64", map[string]string{config.EnvSecretKey: key32B64},
			func(c config.Config) any { return bytes.Equal(c.SecretKey, key32) }, true},
		{"SecretKey/Hex", map[string]string{config.EnvSecretKey: key32Hex},
			func(c config.Config) any { return bytes.Equal(c.SecretKey, key32) }, true},
		{"SecretKey/RawURLBase64", map[string]string{config.EnvSecretKey: base64.RawURLEncoding.EncodeToString(key32)},
			func(c config.Config) any { return bytes.Equal(c.SecretKey, key32) }, true},
		{"APIPauseThreshold", map[string]string{config.EnvAPIPauseThreshold: "0.75"},
			func(c config.Config) any { return c.APIPauseThreshold }, 0.75},
		{"APIPauseThreshold/One", map[string]string{config.EnvAPIPauseThreshold: "1"},
			func(c config.Config) any { return c.APIPauseThreshold }, 1.0},
		{"PushNewContacts", map[string]string{config.EnvPushNewContacts: "1"},
			func(c config.Config) any { return c.Settings.PushNewContacts }, true},
		{"LogFormat", map[string]string{config.EnvLogFormat: "json"},
			func(c config.Config) any { return c.LogFormat }, "json"},
		{"AuditLog/Stderr", map[string]string{config.EnvAuditLog: "stderr"},
			func(c config.Config) any { return c.AuditLog }, "stderr"},
		{"AuditLog/Path", map[string]string{config.EnvAuditLog: filepath.Join(dir, "audit.jsonl")},
			func(c config.Config) any { return c.AuditLog }, filepath.Join(dir, "audit.jsonl")},
	}
	for _, tt := range ok {
		t.Run("OK/"+tt.name, func(t *testing.T) {
			c := MustLoad(t, tt.env)
			if got := tt.check(c); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	bad := []struct {
		name string
		env  map[string]string
		want string // the whole message must contain it
	}{
		{"DatabaseURL/Scheme", map[string]string{config.EnvDatabaseURL: "mysql://db/cs"},
			`CONTACTSYNC_DATABASE_URL: unsupported scheme "mysql" (want postgres://`},
		{"DatabaseURL/NoHost", map[string]string{config.EnvDatabaseURL: "postgres:///cs"},
			`CONTACTSYNC_DATABASE_URL: not a valid PostgreSQL URL (want postgres://`},
		{"Workspace", map[string]string{config.EnvWorkspace: "Acme Corp"},
			`CONTACTSYNC_WORKSPACE: "Acme Corp" is not a workspace id (want lower-case`},
		{"LoginURL/NotURL", map[string]string{config.EnvSalesforceLoginURL: "login.salesforce.com"},
			`CONTACTSYNC_SALESFORCE_LOGIN_URL: "login.salesforce.com" has no host (want an https URL`},
		{"LoginURL/PlainHTTP", map[string]string{config.EnvSalesforceLoginURL: "http://login.salesforce.com"},
			`CONTACTSYNC_SALESFORCE_LOGIN_URL: "http://login.salesforce.com" uses http, which would send credentials in clear`},
		{"LoginURL/Scheme", map[string]string{config.EnvSalesforceLoginURL: "ftp://login.salesforce.com"},
			`has unsupported scheme "ftp"`},
		{"LoginURL/Query", map[string]string{config.EnvSalesforceLoginURL: "https://login.salesforce.com?x=1"},
			`must not carry user info, a query or a fragment`},
		{"ClientID/MissingForRefreshToken", map[string]string{config.EnvSalesforceRefreshToken: "tok", config.EnvSecretKey: key32B64},
			`CONTACTSYNC_SALESFORCE_CLIENT_ID: required because CONTACTSYNC_SALESFORCE_REFRESH_TOKEN is set`},
		{"ClientSecret/MissingForClientCredentials", map[string]string{config.EnvSalesforceAuth: "client_credentials", config.EnvSalesforceClientID: "id"},
			`CONTACTSYNC_SALESFORCE_CLIENT_SECRET: required for client_credentials`},
		{"ClientID/MissingForClientCredentials", map[string]string{config.EnvSalesforceAuth: "client_credentials", config.EnvSalesforceClientSecret: "s"},
			`CONTACTSYNC_SALESFORCE_CLIENT_ID: required because CONTACTSYNC_SALESFORCE_AUTH=client_credentials is set`},
		{"Auth", map[string]string{config.EnvSalesforceAuth: "password"},
			`CONTACTSYNC_SALESFORCE_AUTH: "password" is not an auth flow (want refresh_token, client_credentials or jwt)`},
		{"Username/MissingForJWT", with(jwt, config.EnvSalesforceUsername, ""),
			`CONTACTSYNC_SALESFORCE_USERNAME: required for jwt`},
		{"PrivateKeyFile/MissingForJWT", with(jwt, config.EnvSalesforcePrivateKey, ""),
			`CONTACTSYNC_SALESFORCE_PRIVATE_KEY_FILE: required for jwt`},
		{"PrivateKeyFile/NotAFile", with(jwt, config.EnvSalesforcePrivateKey, dir),
			`CONTACTSYNC_SALESFORCE_PRIVATE_KEY_FILE: "` + dir + `" is not a readable file`},
		{"Schedule", map[string]string{config.EnvSchedule: "every minute"},
			`CONTACTSYNC_SCHEDULE: "every minute" is not a cron spec`},
		{"Schedule/BadEvery", map[string]string{config.EnvSchedule: "@every soon"},
			`CONTACTSYNC_SCHEDULE: "@every soon" is not a cron spec`},
		{"HTTPAddr/NoPort", map[string]string{config.EnvHTTPAddr: "127.0.0.1"},
			`CONTACTSYNC_HTTP_ADDR: "127.0.0.1" is not a listen address`},
		{"HTTPAddr/BadPort", map[string]string{config.EnvHTTPAddr: "127.0.0.1:http2"},
			`CONTACTSYNC_HTTP_ADDR: "127.0.0.1:http2" is not a listen address: bad port`},
		{"HTTPAddr/PortRange", map[string]string{config.EnvHTTPAddr: ":70000"},
			`CONTACTSYNC_HTTP_ADDR: ":70000" is not a listen address: bad port`},
		{"AdminToken/Short", map[string]string{config.EnvAdminToken: "hunter2"},
			`CONTACTSYNC_ADMIN_TOKEN: too short (7 characters; want at least 16`},
		{"OpenMetrics", map[string]string{config.EnvOpenMetrics: "yes please"},
			`CONTACTSYNC_OPEN_METRICS: "yes please" is not a boolean (want true or false)`},
		{"PhoneRegion", map[string]string{config.EnvPhoneRegion: "USA"},
			`CONTACTSYNC_PHONE_REGION: "USA" is not a phone region (want an ISO 3166-1 alpha-2 code`},
		{"PhoneRegion/Unknown", map[string]string{config.EnvPhoneRegion: "XX"},
			`CONTACTSYNC_PHONE_REGION: "XX" is not a phone region`},
		{"CacheTTL", map[string]string{config.EnvCacheTTL: "abc"},
			`CONTACTSYNC_CACHE_TTL: "abc" is not a duration (want e.g. 60s, 5m)`},
		{"CacheTTL/NoUnit", map[string]string{config.EnvCacheTTL: "60"},
			`CONTACTSYNC_CACHE_TTL: "60" is not a duration (want e.g. 60s, 5m)`},
		{"CacheTTL/Negative", map[string]string{config.EnvCacheTTL: "-1s"},
			`CONTACTSYNC_CACHE_TTL: "-1s" is not positive`},
		{"SecretKey/Short", map[string]string{config.EnvSecretKey: base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))},
			`CONTACTSYNC_SECRET_KEY: decodes to 16 bytes, not 32`},
		{"SecretKey/Garbage", map[string]string{config.EnvSecretKey: "not a key!"},
			`CONTACTSYNC_SECRET_KEY: neither base64 nor 64 hex characters`},
		{"SecretKey/RequiredForRefreshToken", map[string]string{config.EnvSalesforceClientID: "id", config.EnvSalesforceRefreshToken: "tok"},
			`CONTACTSYNC_SECRET_KEY: required because CONTACTSYNC_SALESFORCE_REFRESH_TOKEN is set`},
		{"APIPauseThreshold/Zero", map[string]string{config.EnvAPIPauseThreshold: "0"},
			`CONTACTSYNC_API_PAUSE_THRESHOLD: "0" is not a share of the daily limit (want a number above 0 and at most 1`},
		{"APIPauseThreshold/Percent", map[string]string{config.EnvAPIPauseThreshold: "90"},
			`CONTACTSYNC_API_PAUSE_THRESHOLD: "90" is not a share`},
		{"APIPauseThreshold/NaN", map[string]string{config.EnvAPIPauseThreshold: "NaN"},
			`CONTACTSYNC_API_PAUSE_THRESHOLD: "NaN" is not a share`},
		{"PushNewContacts", map[string]string{config.EnvPushNewContacts: "sometimes"},
			`CONTACTSYNC_PUSH_NEW_CONTACTS: "sometimes" is not a boolean`},
		{"LogFormat", map[string]string{config.EnvLogFormat: "logfmt"},
			`CONTACTSYNC_LOG_FORMAT: "logfmt" is not a log format (want json or text)`},
		{"AuditLog/NoDir", map[string]string{config.EnvAuditLog: filepath.Join(dir, "missing", "audit.log")},
			`CONTACTSYNC_AUDIT_LOG: "` + filepath.Join(dir, "missing", "audit.log") + `" is in a directory that does not exist`},
	}
	for _, tt := range bad {
		t.Run("Err/"+tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env), "")
			if err == nil {
				t.Fatalf("Load succeeded (%v), want error containing %q", c, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoad_CollectsAllErrors(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		config.EnvCacheTTL:    "abc",
		config.EnvLogFormat:   "xml",
		config.EnvPhoneRegion: "ZZ",
		config.EnvSchedule:    "never",
	}), "")
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	for _, name := range []string{config.EnvCacheTTL, config.EnvLogFormat, config.EnvPhoneRegion, config.EnvSchedule} {
		if !strings.Contains(err.Error(), name+": ") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 4 {
		t.Errorf("got %d error lines, want 4:\n%v", n, err)
	}
}

// TestLoad_ErrorsNeverRepeatSecrets feeds malformed secrets and checks that
// the messages do not quote them.
func TestLoad_ErrorsNeverRepeatSecrets(t *testing.T) {
	const pw = "Sup3rS3cretPassw0rd"
	_, err := config.Load(env(map[string]string{
		config.EnvSecretKey:   pw + "!!",
		config.EnvAdminToken:  "short" + "X",
		config.EnvDatabaseURL: "postgres://user:" + pw + "@/%zz",
	}), "")
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	for _, s := range []string{pw, "shortX"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error repeats secret %q:\n%v", s, err)
		}
	}
}

func TestConfig_SecretsNeverPrinted(t *testing.T) {
	const (
		dbPass  = "dbPa55word"
		secret  = "clientSecretValue"
		refresh = "5Aep861refreshTokenValue"
		admin   = "adminTokenValue123456"
	)
	c := MustLoad(t, map[string]string{
		config.EnvDatabaseURL:            "postgres://cs:" + dbPass + "@db:5432/cs",
		config.EnvSalesforceClientID:     "3MVG9clientid",
		config.EnvSalesforceClientSecret: secret,
		config.EnvSalesforceRefreshToken: refresh,
		config.EnvAdminToken:             admin,
		config.EnvSecretKey:              key32B64,
	})
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", c, "sf", c.Salesforce)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "config", c, "key", c.SecretKey)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String": c.String(),
		"%v":     fmt.Sprintf("%v", c),
		"%+v":    fmt.Sprintf("%+v", c),
		"%#v":    fmt.Sprintf("%#v", c),
		"sf %+v": fmt.Sprintf("%+v", c.Salesforce),
		"sf %#v": fmt.Sprintf("%#v", c.Salesforce),
		"key %v": fmt.Sprintf("%v %x", c.SecretKey, c.SecretKey.String()),
		"slog":   logs.String(),
		"json":   string(js),
	}
	keyB64 := base64.StdEncoding.EncodeToString(c.SecretKey)
	for name, out := range outputs {
		for _, s := range []string{dbPass, secret, refresh, admin, keyB64, key32Hex, string(key32)} {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains secret %q:\n%s", name, s, out)
			}
		}
	}
	// Non-secret values stay visible so the output is useful.
	for _, s := range []string{"3MVG9clientid", "db:5432", "[redacted]"} {
		if !strings.Contains(c.String(), s) {
			t.Errorf("String() lacks %q: %s", s, c)
		}
	}
	// The real values are still there for the code that needs them.
	if c.Salesforce.ClientSecret.Reveal() != secret || c.AdminToken.Reveal() != admin || !bytes.Equal(c.SecretKey, key32) {
		t.Error("Reveal does not return the configured values")
	}
}

func TestVars_DocumentedInREADME(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range config.Vars {
		if !bytes.Contains(readme, []byte("`"+v.Name+"`")) {
			t.Errorf("README.md does not document %s", v.Name)
		}
	}
}
