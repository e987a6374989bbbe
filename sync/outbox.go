package sync

import "time"

// OutboxOp is the kind of change waiting to be pushed.
type OutboxOp string

// The outbox operations.
const (
	// OutboxUpdate pushes a linked contact's changed fields.
	OutboxUpdate OutboxOp = "update"
	// OutboxCreate creates (or finds and links) a Salesforce Contact for a
	// local contact.
	OutboxCreate OutboxOp = "create"
)

// OutboxState is where an outbox item stands.
type OutboxState string

// The outbox states.
const (
	OutboxPending OutboxState = "pending"
	// OutboxFailed items hit a permanent error; they stay visible in status
	// until a person retries or dismisses them.
	OutboxFailed OutboxState = "failed"
)

// OutboxItem is a local change waiting to be pushed to Salesforce. There is at
// most one pending item per contact: enqueuing again while one is pending
// bumps its Seq instead of adding a row, so edits coalesce.
type OutboxItem struct {
	ID          int64
	WorkspaceID string
	ContactID   int64
	Op          OutboxOp
	// Seq increases each time the item is enqueued again. Completing an item
	// with a stale Seq leaves it pending, so an edit made during a push is
	// not lost.
	Seq           int64
	State         OutboxState
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Claimed is an outbox item handed to one pusher together with what it needs:
// the contact as it is now and its link, if any.
type Claimed struct {
	Item    OutboxItem
	Contact Contact
	// Link is nil when the contact is not linked (OutboxCreate).
	Link *Link
}

// Outcome is how pushing one outbox item ended.
type Outcome string

// The push outcomes.
const (
	// OutcomeDone: pushed (or nothing to push). The item is removed unless
	// it was enqueued again meanwhile, and Link, when set, is saved.
	OutcomeDone Outcome = "done"
	// OutcomeRetry: a transient failure; try again at NextAttemptAt.
	OutcomeRetry Outcome = "retry"
	// OutcomeFailed: a permanent failure; the item is kept in
	// OutboxFailed.
	OutcomeFailed Outcome = "failed"
)

// OutboxResult records the outcome of one claimed item.
type OutboxResult struct {
	ItemID int64
	// Seq is the item's Seq as claimed.
	Seq           int64
	Outcome       Outcome
	NextAttemptAt time.Time
	Error         string
	// Link is the link to save on OutcomeDone: its Base updated to what was
	// pushed, or a new link for a created or found record.
	Link *Link
}
