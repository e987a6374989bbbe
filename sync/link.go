package sync

import (
	"slices"
	"time"
)

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
	Base map[string]string
	// Pending holds, by Salesforce field name, values a push sent whose
	// success was never recorded (the process died in between). Salesforce
	// may hold any of them: the pull treats a remote value found here as
	// our own echo, not as a change made in Salesforce.
	Pending   map[string][]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// maxPendingValues bounds the unconfirmed values kept per field: pushes that
// die again and again after sending keep only the latest few.
const maxPendingValues = 4

// PendingPush is one update about to be sent to Salesforce: the values are
// recorded on the contact's link before the call (see Link.Pending).
type PendingPush struct {
	ContactID    int64
	SalesforceID string
	// Fields are the values being sent, by Salesforce field name.
	Fields map[string]string
}

// AddPending returns pending with the values of fields added (each field
// keeps its latest maxPendingValues values).
func AddPending(pending map[string][]string, fields map[string]string) map[string][]string {
	out := make(map[string][]string, len(pending)+len(fields))
	for f, vs := range pending {
		out[f] = slices.Clone(vs)
	}
	for f, v := range fields {
		vs := slices.DeleteFunc(out[f], func(x string) bool { return x == v })
		vs = append(vs, v)
		if len(vs) > maxPendingValues {
			vs = vs[len(vs)-maxPendingValues:]
		}
		out[f] = vs
	}
	return out
}

// withoutPending returns pending without the given fields, nil when empty.
func withoutPending(pending map[string][]string, fields func(f string) bool) map[string][]string {
	var out map[string][]string
	for f, vs := range pending {
		if fields(f) {
			continue
		}
		if out == nil {
			out = map[string][]string{}
		}
		out[f] = vs
	}
	return out
}
