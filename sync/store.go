package sync

import (
	"context"
	"time"
)

// Store is everything the engine, the admin API and the contacts API need
// from storage. store.Store implements it on PostgreSQL and SQLite.
//
// All methods are safe for concurrent use. Unless a method says otherwise, a
// workspace that does not exist yields ErrNotFound.
type Store interface {
	WorkspaceStore
	ContactStore
	MatchStore
	PageStore
	OutboxStore
	LeaseStore
	ConnectionStore
	RunStore
}

// WorkspaceStore keeps workspaces and their settings.
type WorkspaceStore interface {
	// EnsureWorkspace creates the workspace with settings s if it does not
	// exist and returns it as stored (existing settings are kept).
	EnsureWorkspace(ctx context.Context, id string, s Settings) (Workspace, error)
	// Workspace returns one workspace.
	Workspace(ctx context.Context, id string) (Workspace, error)
	// Workspaces returns all workspaces, ordered by id.
	Workspaces(ctx context.Context) ([]Workspace, error)
	// UpdateSettings applies fn to the workspace's settings in one
	// transaction and returns the settings before and after. When AutoCreate
	// goes from off to on, AutoCreateSince is set to the database's current
	// time. fn's error, or Settings.Validate's, aborts without writing.
	UpdateSettings(ctx context.Context, id string, fn func(*Settings) error) (before, after Settings, err error)
}

// ContactStore keeps the local contact book.
type ContactStore interface {
	// CreateContact stores a new contact, its tags and its match keys
	// (computed with the workspace's phone region) and returns it with ID,
	// Version and timestamps set. When the workspace's PushNewContacts is
	// on, it enqueues an OutboxCreate item in the same transaction.
	CreateContact(ctx context.Context, ws string, c Contact) (Contact, error)
	// Contact returns one contact, or ErrNotFound.
	Contact(ctx context.Context, ws string, id int64) (Contact, error)
	// ContactsByID returns the contacts that exist among ids.
	ContactsByID(ctx context.Context, ws string, ids []int64) (map[int64]Contact, error)
	// ListContacts returns contacts matching f, ordered by id.
	ListContacts(ctx context.Context, ws string, f ContactFilter) ([]Contact, error)
	// UpdateContact reads the contact, applies fn and writes the result in
	// one transaction, refreshing its keys and bumping Version. It returns
	// ErrSystemTag, without writing, when fn dropped a system tag, and
	// fn's own error likewise. When the contact is linked, it enqueues an
	// OutboxUpdate item in the same transaction.
	UpdateContact(ctx context.Context, ws string, id int64, fn func(*Contact) error) (Contact, error)
}

// MatchStore answers the lookups matching needs, each in one round trip.
type MatchStore interface {
	// FindMatches returns, for each key that matches local contacts, the ids
	// of those contacts in ascending order. Keys with no match are absent.
	FindMatches(ctx context.Context, ws string, keys []Key) (map[Key][]int64, error)
	// LinksBySalesforceID returns the links that exist among ids.
	LinksBySalesforceID(ctx context.Context, ws string, ids []string) (map[string]Link, error)
	// LinksByContact returns the links that exist among contact ids.
	LinksByContact(ctx context.Context, ws string, ids []int64) (map[int64]Link, error)
	// Mirror returns the mirrored Salesforce Contacts that exist among ids.
	Mirror(ctx context.Context, ws string, ids []string) (map[string]SalesforceContact, error)
	// MirrorMatches returns, for each key, the ids of live (not deleted)
	// mirrored Salesforce Contacts having it, ascending.
	MirrorMatches(ctx context.Context, ws string, keys []Key) (map[Key][]string, error)
	// CountCreatedTogether counts mirrored records created by createdByID
	// within the same second as createdDate.
	CountCreatedTogether(ctx context.Context, ws string, createdByID string, createdDate time.Time) (int, error)
}

// Page is the effect of one pulled page of Salesforce Contacts. PageStore
// commits it, and the new cursor, in one transaction: all of it or none.
type Page struct {
	// Lease, when its Holder is set, must still be held at commit time or
	// the commit fails with ErrLeaseLost.
	Lease Lease
	// Mirror rows to insert or replace, keys included.
	Mirror []SalesforceContact
	// Creates are new local contacts, each linked to a Salesforce record.
	Creates []CreateLinked
	// Links are new links between existing contacts and Salesforce records.
	Links []Link
	// Updates change linked contacts and their link bases.
	Updates []ContactUpdate
	// Unlinks removes the links of these Salesforce ids.
	Unlinks []string
	// Relinks re-points links from merged-away records to their masters.
	Relinks []Relink
	// Cursor is saved with the page.
	Cursor Cursor
}

// CreateLinked is a local contact to create from a Salesforce record, and the
// link to make. The store fills in Link.ContactID.
type CreateLinked struct {
	Contact Contact
	Link    Link
}

// ContactUpdate applies Salesforce's changes to a linked contact.
type ContactUpdate struct {
	ContactID int64
	// Version is the contact's version the changes were computed against.
	Version int64
	// Set holds new values by local attribute.
	Set map[string]string
	// SalesforceID and Base replace the link's base.
	SalesforceID string
	Base         map[string]string
	// Pending replaces the link's unconfirmed pushed values (Link.Pending).
	Pending map[string][]string
	// Push enqueues an OutboxUpdate (a conflict the local side won).
	Push bool
}

// Relink re-points the link of a merged-away record.
type Relink struct {
	From, To string
}

// PageStore commits pulled pages and keeps the cursor.
type PageStore interface {
	// CommitPage writes p and p.Cursor atomically and returns the ids of the
	// contacts it created, in the order of p.Creates. It fails with
	// ErrConflict, writing nothing, when a link already exists for a
	// contact or Salesforce id it links, when an update's Version is stale,
	// or when a contact to create now matches an existing contact by a key
	// (a concurrent create): the caller re-reads and redoes the page.
	CommitPage(ctx context.Context, ws string, p Page) (created []int64, err error)
	// Cursor returns the workspace's cursor; the zero Cursor when none.
	Cursor(ctx context.Context, ws string) (Cursor, error)
	// Link makes a manual link outside a page (ErrConflict when either side
	// is already linked).
	Link(ctx context.Context, l Link) error
}

// OutboxStore queues local changes for the pusher.
type OutboxStore interface {
	// Enqueue adds an item for the contact, or bumps the Seq of its pending
	// item (coalescing edits).
	Enqueue(ctx context.Context, ws string, contactID int64, op OutboxOp) error
	// ClaimOutbox hands out up to limit pending items whose NextAttemptAt
	// has passed, oldest first, and hides them from other claimers for
	// visibility (Postgres: FOR UPDATE SKIP LOCKED). Two concurrent claimers
	// never receive the same item.
	ClaimOutbox(ctx context.Context, ws string, limit int, visibility time.Duration) ([]Claimed, error)
	// MarkPushing records, before the call that sends them, the values
	// about to be pushed on each contact's link to the Salesforce id
	// (adding them to Link.Pending). A push whose link is gone is ignored.
	MarkPushing(ctx context.Context, ws string, pushes []PendingPush) error
	// CompleteOutbox records results in one transaction. OutcomeDone with a
	// stale Seq leaves the item pending and due now; its Link, when set, is
	// saved with its Base and Pending.
	CompleteOutbox(ctx context.Context, ws string, results []OutboxResult) error
	// OutboxStats returns the numbers of pending and failed items.
	OutboxStats(ctx context.Context, ws string) (pending, failed int, err error)
	// FailedOutbox returns up to limit failed items, newest first.
	FailedOutbox(ctx context.Context, ws string, limit int) ([]OutboxItem, error)
}

// LeaseStore hands out per-workspace leases on database time, exclusive
// across processes.
type LeaseStore interface {
	// AcquireLease takes the lease for ttl, or returns ErrLeaseHeld while
	// another holder's lease has not expired. The same holder may acquire
	// again (renewing).
	AcquireLease(ctx context.Context, ws, holder string, ttl time.Duration) (Lease, error)
	// RenewLease extends a held lease, or returns ErrLeaseLost.
	RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
	// ReleaseLease gives the lease up if l still holds it.
	ReleaseLease(ctx context.Context, l Lease) error
}

// ConnectionStore keeps each workspace's Salesforce connection, with the
// refresh token encrypted at rest.
type ConnectionStore interface {
	// Connection returns the workspace's connection, or ErrNotFound.
	Connection(ctx context.Context, ws string) (Connection, error)
	// SaveConnection creates or replaces the workspace's connection.
	SaveConnection(ctx context.Context, c Connection) error
	// SetConnectionState records the connection's state and the reason.
	SetConnectionState(ctx context.Context, ws string, state ConnectionState, reason string) error
}

// RunStore keeps recent run summaries for status.
type RunStore interface {
	// RecordRun saves a run summary.
	RecordRun(ctx context.Context, r RunSummary) error
	// Runs returns the workspace's most recent runs, newest first.
	Runs(ctx context.Context, ws string, limit int) ([]RunSummary, error)
}
