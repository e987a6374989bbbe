package sync

import (
	"context"
	"time"
)

// Source is what the engine needs from one workspace's Salesforce org.
// sources/salesforce implements it over the REST API.
//
// Errors: ErrReauthRequired, ErrAPIDisabled and ErrRateLimited (via
// errors.Is) stop the pass and set the connection state; errors for which
// IsTemporary is true are worth retrying on the next pass; per-record write
// errors come back in WriteResult.Err, never as the call's error.
type Source interface {
	// Changes streams the Contacts whose (SystemModstamp, Id) is after
	// since minus overlap, deleted and merged-away records included,
	// calling fn once per page (at most PageSize records). fields are the
	// mapped fields to read besides the system ones. A non-nil error from
	// fn stops the stream and is returned.
	//
	// Pages are in (SystemModstamp, Id) order (ChangesPage.Cursor nil)
	// unless the source read a large initial load through an unordered
	// bulk job (see ChangesQuery.BulkThreshold): then every page carries
	// the cursor to keep, and a last page without records carries the
	// cursor to commit once all pages are in.
	Changes(ctx context.Context, q ChangesQuery, fn func(page ChangesPage) error) error
	// CountCreatedTogether counts Contacts created by createdByID within
	// the same second as createdDate (for judging a bulk import whose
	// records span pages).
	CountCreatedTogether(ctx context.Context, createdByID string, createdDate time.Time) (int, error)
	// GetContacts reads live values of the given fields; ids that do not
	// exist are absent from the result.
	GetContacts(ctx context.Context, ids []string, fields []string) (map[string]SalesforceContact, error)
	// FindContactsByEmail returns live Contacts whose Email is one of
	// emails (exact values as Salesforce stores them).
	FindContactsByEmail(ctx context.Context, emails []string, fields []string) ([]SalesforceContact, error)
	// CreateContacts creates Contacts, returning one result per record in
	// order. A record refused by duplicate rules has a *DuplicateError.
	CreateContacts(ctx context.Context, records []map[string]string) ([]WriteResult, error)
	// UpdateContacts updates Contacts, one result per update in order. A
	// deleted record's result wraps ErrNotFound.
	UpdateContacts(ctx context.Context, updates []RecordUpdate) ([]WriteResult, error)
	// CreateLead and CreateCase create one record and return its id.
	CreateLead(ctx context.Context, fields map[string]string) (string, error)
	CreateCase(ctx context.Context, fields map[string]string) (string, error)
	// Usage reports the org's API usage as last seen.
	Usage() APIUsage
}

// ChangesQuery selects the records Source.Changes streams.
type ChangesQuery struct {
	Since    Cursor
	Overlap  time.Duration
	Fields   []string
	PageSize int
	// BulkThreshold, when positive and Since is zero (an initial load or a
	// backfill), lets the source read through an unordered bulk job when
	// more than BulkThreshold records match; it falls back to the ordered
	// path when the job fails before handing over any record.
	BulkThreshold int
}

// ChangesPage is one page of Source.Changes.
type ChangesPage struct {
	Records []SalesforceContact
	// Cursor is nil for a page in (SystemModstamp, Id) order: the engine
	// moves the cursor to its last record. Otherwise the records are
	// unordered and Cursor is where the cursor stands once this page is
	// committed: the query's Since for every page of a bulk job, then,
	// on a final page without records, the job's snapshot time minus the
	// overlap, so that a crash mid-job redoes the whole job.
	Cursor *Cursor
}

// RecordUpdate is one record's new field values; "" sets a field to null.
type RecordUpdate struct {
	ID     string
	Fields map[string]string
}

// WriteResult is the outcome of one record in a batch write.
type WriteResult struct {
	ID  string
	Err error
}

// APIUsage is the org's API consumption in its rolling 24-hour window.
type APIUsage struct {
	Used int `json:"used"`
	Max  int `json:"max"`
	// Paused is true while contactsync holds back non-essential calls
	// because Used crossed the configured share of Max.
	Paused bool `json:"paused"`
}
