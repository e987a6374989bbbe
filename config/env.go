package config

// Environment variable names.
const (
	EnvDatabaseURL            = "CONTACTSYNC_DATABASE_URL"
	EnvWorkspace              = "CONTACTSYNC_WORKSPACE"
	EnvSalesforceLoginURL     = "CONTACTSYNC_SALESFORCE_LOGIN_URL"
	EnvSalesforceClientID     = "CONTACTSYNC_SALESFORCE_CLIENT_ID"
	EnvSalesforceClientSecret = "CONTACTSYNC_SALESFORCE_CLIENT_SECRET"
	EnvSalesforceRefreshToken = "CONTACTSYNC_SALESFORCE_REFRESH_TOKEN"
	EnvSalesforceAuth         = "CONTACTSYNC_SALESFORCE_AUTH"
	EnvSalesforceUsername     = "CONTACTSYNC_SALESFORCE_USERNAME"
	EnvSalesforcePrivateKey   = "CONTACTSYNC_SALESFORCE_PRIVATE_KEY_FILE"
	EnvSchedule               = "CONTACTSYNC_SCHEDULE"
	EnvHTTPAddr               = "CONTACTSYNC_HTTP_ADDR"
	EnvAdminToken             = "CONTACTSYNC_ADMIN_TOKEN"
	EnvOpenMetrics            = "CONTACTSYNC_OPEN_METRICS"
	EnvPhoneRegion            = "CONTACTSYNC_PHONE_REGION"
	EnvCacheTTL               = "CONTACTSYNC_CACHE_TTL"
	EnvSecretKey              = "CONTACTSYNC_SECRET_KEY"
	EnvAPIPauseThreshold      = "CONTACTSYNC_API_PAUSE_THRESHOLD"
	EnvPushNewContacts        = "CONTACTSYNC_PUSH_NEW_CONTACTS"
	EnvBulkThreshold          = "CONTACTSYNC_BULK_THRESHOLD"
	EnvLogFormat              = "CONTACTSYNC_LOG_FORMAT"
	EnvAuditLog               = "CONTACTSYNC_AUDIT_LOG"
)

// Defaults.
const (
	DefaultDatabaseURL       = "contactsync.db"
	DefaultLoginURL          = "https://login.salesforce.com"
	DefaultSchedule          = "@every 1m"
	DefaultHTTPAddr          = "127.0.0.1:8080"
	DefaultCacheTTL          = "60s"
	DefaultAPIPauseThreshold = "0.9"
	DefaultBulkThreshold     = "10000"
	DefaultLogFormat         = LogText
	DefaultAuditLog          = AuditStdout
)

// Var documents one environment variable.
type Var struct {
	Name    string
	Default string
	Accepts string
	Secret  bool
}

// Vars lists every environment variable contactsync reads, in the order the
// README and `contactsync help config` show them.
var Vars = []Var{
	{EnvDatabaseURL, DefaultDatabaseURL, "postgres://user:pass@host:5432/db?sslmode=…, or a SQLite file path (also sqlite:path, file: URL)", false},
	{EnvWorkspace, "default", "workspace id: lower-case letters, digits, - and _, up to 63 characters", false},
	{EnvSalesforceLoginURL, DefaultLoginURL, "https URL of the login host (test.salesforce.com, My Domain); http only for localhost", false},
	{EnvSalesforceClientID, "", "connected app consumer key; required by every auth flow", false},
	{EnvSalesforceClientSecret, "", "connected app consumer secret; required for client_credentials", true},
	{EnvSalesforceRefreshToken, "", "refresh token to store for the workspace (or run `contactsync connect`); needs CONTACTSYNC_SECRET_KEY", true},
	{EnvSalesforceAuth, "refresh_token", "refresh_token, client_credentials or jwt", false},
	{EnvSalesforceUsername, "", "Salesforce username; required for jwt", false},
	{EnvSalesforcePrivateKey, "", "path to the PEM private key signing JWT assertions; required for jwt", false},
	{EnvSchedule, DefaultSchedule, "cron spec (5 fields) or descriptor such as @every 5m, @hourly", false},
	{EnvHTTPAddr, DefaultHTTPAddr, "host:port to listen on; without an admin token only a loopback address", false},
	{EnvAdminToken, "", "bearer token for the HTTP API, at least 16 characters (e.g. openssl rand -hex 32)", true},
	{EnvOpenMetrics, "false", "true or false: serve /metrics without the bearer token", false},
	{EnvPhoneRegion, "US", "ISO 3166-1 alpha-2 region for numbers without a country code (US, GB, DE…)", false},
	{EnvCacheTTL, DefaultCacheTTL, "positive Go duration (30s, 5m) for the live Salesforce record cache", false},
	{EnvSecretKey, "", "32 random bytes as base64 or 64 hex characters; required when a refresh token is stored", true},
	{EnvAPIPauseThreshold, DefaultAPIPauseThreshold, "share of the daily API limit, above 0 and at most 1, at which non-essential calls pause", false},
	{EnvBulkThreshold, DefaultBulkThreshold, "records above which an initial load or backfill reads through a Bulk API 2.0 job; 0 never uses bulk", false},
	{EnvPushNewContacts, "false", "true or false: create a Salesforce Contact for each new local contact (new workspaces' default)", false},
	{EnvLogFormat, DefaultLogFormat, "json or text", false},
	{EnvAuditLog, DefaultAuditLog, "stdout, stderr or a file path (appended to) for the audit log", false},
}
