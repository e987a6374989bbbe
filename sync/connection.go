package sync

import (
	"log/slog"
	"time"
)

// ConnectionState says whether a workspace's Salesforce connection works.
type ConnectionState string

// The connection states.
const (
	StateConnected   ConnectionState = "connected"
	StateNeedsReauth ConnectionState = "needs_reauth"
	StateAPIDisabled ConnectionState = "api_disabled"
	StateRateLimited ConnectionState = "rate_limited"
)

// AuthFlow is how contactsync obtains access tokens.
type AuthFlow string

// The supported OAuth flows.
const (
	AuthRefreshToken      AuthFlow = "refresh_token"
	AuthClientCredentials AuthFlow = "client_credentials"
	AuthJWT               AuthFlow = "jwt"
)

// Connection is a workspace's link to one Salesforce org. Stores keep
// RefreshToken encrypted at rest; it must never be logged.
type Connection struct {
	WorkspaceID  string
	LoginURL     string
	InstanceURL  string
	AuthFlow     AuthFlow
	Username     string
	RefreshToken string
	State        ConnectionState
	// StateReason explains a state other than StateConnected, with the fix.
	StateReason string
	UpdatedAt   time.Time
}

// String describes the connection without its refresh token.
func (c Connection) String() string {
	return "connection{workspace=" + c.WorkspaceID + " instance=" + c.InstanceURL + " state=" + string(c.State) + "}"
}

// LogValue keeps the refresh token out of structured logs.
func (c Connection) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("workspace", c.WorkspaceID),
		slog.String("instance_url", c.InstanceURL),
		slog.String("auth_flow", string(c.AuthFlow)),
		slog.String("state", string(c.State)),
	)
}

// Lease is a workspace's exclusive right to sync, held by one process until
// ExpiresAt (database time).
type Lease struct {
	WorkspaceID string
	Holder      string
	ExpiresAt   time.Time
}
