package sync

import "errors"

// Sentinel errors shared by the Store, the Source and the engine. Callers
// inspect them with errors.Is; implementations wrap them with context.
var (
	// ErrNotFound is returned when a contact, link, record or workspace does
	// not exist.
	ErrNotFound = errors.New("not found")

	// ErrConflict is returned when a write lost a race: an optimistic-lock
	// version did not match, or a unique link already exists. The caller
	// re-reads and retries (the engine redoes the page).
	ErrConflict = errors.New("conflict")

	// ErrSystemTag is returned when a write would remove or rename a system
	// tag.
	ErrSystemTag = errors.New("system tags cannot be removed or renamed")

	// ErrInvalid is returned for input that fails validation. Wrap it with a
	// message that names the field.
	ErrInvalid = errors.New("invalid")

	// ErrLeaseHeld is returned by AcquireLease when another holder has an
	// unexpired lease on the workspace.
	ErrLeaseHeld = errors.New("workspace lease held by another process")

	// ErrLeaseLost is returned when a lease expired or was taken over before
	// a renewal or a commit that required it.
	ErrLeaseLost = errors.New("workspace lease lost")

	// ErrReauthRequired is returned by a Source whose refresh token was
	// rejected (invalid_grant). It is permanent: a person must re-authorize
	// the connection. No further token requests are made.
	ErrReauthRequired = errors.New("salesforce re-authorization required")

	// ErrAPIDisabled is returned by a Source when the org or the user's
	// profile does not have the REST API enabled.
	ErrAPIDisabled = errors.New("salesforce API disabled for this user or org")

	// ErrRateLimited is returned by a Source when the org's API budget is
	// spent, or when contactsync paused non-essential calls to protect it.
	ErrRateLimited = errors.New("salesforce API budget exhausted")
)

// IsTemporary reports whether err is worth retrying later: anything in its
// chain that has a Temporary method returning true.
func IsTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// DuplicateError is returned for a record Salesforce refused to create
// because duplicate rules matched existing records (DUPLICATES_DETECTED).
type DuplicateError struct {
	// IDs are the 18-character ids of the matching records, best first.
	IDs     []string
	Message string
}

func (e *DuplicateError) Error() string {
	return "duplicates detected: " + e.Message
}
