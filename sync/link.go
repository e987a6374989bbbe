package sync

import "time"

// LinkMethod says how a link was made.
type LinkMethod string

// The ways a contact and a Salesforce record become linked.
const (
	// LinkCreated: one side was created from the other.
	LinkCreated LinkMethod = "created"
	// LinkEmail and LinkPhone: matched by a normalized key.
	LinkEmail LinkMethod = "email"
	LinkPhone LinkMethod = "phone"
	// LinkManual: a person linked them.
	LinkManual LinkMethod = "manual"
)

// Link joins one local contact and one Salesforce Contact. A workspace has at
// most one link per contact and per Salesforce id.
type Link struct {
	WorkspaceID  string
	ContactID    int64
	SalesforceID string
	Method       LinkMethod
	// Base holds the values of the mapped fields, by Salesforce field name,
	// that both sides last agreed on.
	Base      map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}
