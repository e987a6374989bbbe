package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Config is contactsync's validated configuration. Build it with Load; cmd
// copies the parts each component needs into that component's fields.
type Config struct {
	// DatabaseURL is a postgres:// URL or a SQLite file path (or file: DSN).
	DatabaseURL string
	// Workspace is the id of the workspace a single-tenant install
	// configures from the environment.
	Workspace string

	Salesforce Salesforce

	// Schedule is the robfig/cron spec for sync passes (standard five-field
	// spec or a descriptor such as "@every 1m").
	Schedule string
	// HTTPAddr is the host:port the admin and contacts API listen on.
	HTTPAddr string
	// AdminToken is the bearer token required on the HTTP API.
	AdminToken Secret
	// OpenMetrics serves /metrics without the bearer token.
	OpenMetrics bool
	// CacheTTL is how long live Salesforce records are cached.
	CacheTTL time.Duration
	// SecretKey encrypts refresh tokens at rest (AES-256-GCM, 32 bytes).
	SecretKey EncryptionKey
	// APIPauseThreshold is the share of the org's daily API limit above
	// which non-essential calls pause, in (0, 1].
	APIPauseThreshold float64
	// BulkThreshold is the org size above which an initial load or a
	// backfill reads through a Bulk API 2.0 job; 0 never uses it.
	BulkThreshold int

	// LogFormat is LogJSON or LogText.
	LogFormat string
	// AuditLog is AuditStdout, AuditStderr or a file path.
	AuditLog string

	// Settings are the settings a new workspace starts with (the config
	// file's settings, then CONTACTSYNC_PHONE_REGION and
	// CONTACTSYNC_PUSH_NEW_CONTACTS).
	Settings contactsync.Settings
	// FieldMap maps Salesforce Contact fields to local attributes; the
	// default is contactsync.DefaultFieldMap.
	FieldMap contactsync.FieldMap
	// BulkImportMarker, when its Field is set, marks Salesforce records
	// whose Field equals Value as bulk-imported.
	BulkImportMarker BulkImportMarker
}

// Salesforce is how contactsync reaches the org.
type Salesforce struct {
	LoginURL     string
	ClientID     string
	ClientSecret Secret
	RefreshToken Secret
	Auth         contactsync.AuthFlow
	Username     string
	// PrivateKeyFile is the PEM RSA key that signs JWT bearer assertions.
	PrivateKeyFile string
}

// Configured reports whether a connected app is configured at all. Commands
// such as migrate and demo run without one.
func (s Salesforce) Configured() bool { return s.ClientID != "" }

// BulkImportMarker names a Salesforce field and value that mark a record as
// bulk-imported, alongside the CreatedById/CreatedDate grouping.
type BulkImportMarker struct {
	Field string `yaml:"field"`
	Value string `yaml:"value"`
}

// Values of LogFormat and AuditLog.
const (
	LogJSON     = "json"
	LogText     = "text"
	AuditStdout = "stdout"
	AuditStderr = "stderr"
)

// Postgres reports whether DatabaseURL names a PostgreSQL database rather
// than a SQLite file.
func (c Config) Postgres() bool { return isPostgresURL(c.DatabaseURL) }

// RequireSecretKey returns an error naming CONTACTSYNC_SECRET_KEY when no key
// is configured. Commands that store a refresh token (connect) call it.
func (c Config) RequireSecretKey() error {
	if len(c.SecretKey) == 0 {
		return errors.New(EnvSecretKey + ": required to store a refresh token; want 32 random bytes as base64 or 64 hex characters (e.g. openssl rand -base64 32)")
	}
	return nil
}

// String describes the configuration with every secret masked.
func (c Config) String() string {
	var b strings.Builder
	for _, a := range c.attrs() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", a.Key, a.Value.String())
	}
	return "config{" + b.String() + "}"
}

// GoString is String, so that %#v does not print secrets either.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration with every secret masked.
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.attrs()...) }

// MarshalJSON encodes the same masked view as LogValue.
func (c Config) MarshalJSON() ([]byte, error) {
	m := make(map[string]any)
	for _, a := range c.attrs() {
		m[a.Key] = a.Value.Any()
	}
	return json.Marshal(m)
}

func (c Config) attrs() []slog.Attr {
	return []slog.Attr{
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("workspace", c.Workspace),
		slog.String("salesforce_login_url", c.Salesforce.LoginURL),
		slog.String("salesforce_client_id", c.Salesforce.ClientID),
		slog.String("salesforce_client_secret", c.Salesforce.ClientSecret.String()),
		slog.String("salesforce_refresh_token", c.Salesforce.RefreshToken.String()),
		slog.String("salesforce_auth", string(c.Salesforce.Auth)),
		slog.String("salesforce_username", c.Salesforce.Username),
		slog.String("salesforce_private_key_file", c.Salesforce.PrivateKeyFile),
		slog.String("schedule", c.Schedule),
		slog.String("http_addr", c.HTTPAddr),
		slog.String("admin_token", c.AdminToken.String()),
		slog.Bool("open_metrics", c.OpenMetrics),
		slog.String("cache_ttl", c.CacheTTL.String()),
		slog.String("secret_key", c.SecretKey.String()),
		slog.Float64("api_pause_threshold", c.APIPauseThreshold),
		slog.Int("bulk_threshold", c.BulkThreshold),
		slog.String("log_format", c.LogFormat),
		slog.String("audit_log", c.AuditLog),
		slog.String("phone_region", c.Settings.PhoneRegion),
		slog.Int("field_mappings", len(c.FieldMap)),
	}
}
