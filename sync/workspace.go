package sync

import (
	"fmt"
	"time"
)

// DefaultWorkspace is the id of the workspace a single-tenant install uses.
const DefaultWorkspace = "default"

// Workspace is one tenant: a contact book, its settings and at most one
// Salesforce connection.
type Workspace struct {
	ID        string
	Settings  Settings
	CreatedAt time.Time
}

// ConflictPolicy decides which side wins when a linked field was changed both
// locally and in Salesforce since the last agreed value.
type ConflictPolicy string

// The conflict policies.
const (
	SalesforceWins ConflictPolicy = "salesforce_wins"
	LocalWins      ConflictPolicy = "local_wins"
)

// Valid reports whether p is a known policy.
func (p ConflictPolicy) Valid() bool { return p == SalesforceWins || p == LocalWins }

// Settings are a workspace's switches. The zero value is not useful; start
// from DefaultSettings.
type Settings struct {
	// AutoCreate creates a local contact for each new Salesforce Contact
	// that matches none.
	AutoCreate bool `json:"auto_create"`
	// AutoCreateSince is when AutoCreate was last switched on. Only
	// Salesforce records created at or after it are auto-created; older ones
	// wait for a backfill. Maintained by the store when AutoCreate flips.
	AutoCreateSince time.Time `json:"auto_create_since"`
	// AddTag tags auto-created contacts with TagAutoCreatedSalesforce.
	AddTag bool `json:"add_tag"`
	// IncludeBulkImport lets auto-create include records that were created
	// by a bulk import.
	IncludeBulkImport bool `json:"include_bulk_import"`
	// ConflictPolicy resolves fields changed on both sides.
	ConflictPolicy ConflictPolicy `json:"conflict_policy"`
	// PhoneRegion is the ISO 3166-1 region used to read phone numbers
	// written without a country code, such as "US" or "GB".
	PhoneRegion string `json:"phone_region"`
	// BulkImportMinGroup is how many records sharing a CreatedById and a
	// CreatedDate second make a bulk import.
	BulkImportMinGroup int `json:"bulk_import_min_group"`
	// PushNewContacts creates a Salesforce Contact for each new local
	// contact (after looking for an existing one with the same keys).
	PushNewContacts bool `json:"push_new_contacts"`
}

// DefaultSettings returns the settings of a new workspace: auto-create off,
// tag on, bulk imports excluded, Salesforce wins conflicts, US phone region.
func DefaultSettings() Settings {
	return Settings{
		AutoCreate:         false,
		AddTag:             true,
		IncludeBulkImport:  false,
		ConflictPolicy:     SalesforceWins,
		PhoneRegion:        "US",
		BulkImportMinGroup: 10,
	}
}

// Validate reports the first invalid setting, wrapping ErrInvalid and naming
// the field as it appears in JSON.
func (s Settings) Validate() error {
	if !s.ConflictPolicy.Valid() {
		return fmt.Errorf("%w: conflict_policy must be %q or %q, got %q", ErrInvalid, SalesforceWins, LocalWins, s.ConflictPolicy)
	}
	if !ValidRegion(s.PhoneRegion) {
		return fmt.Errorf("%w: phone_region must be an ISO 3166-1 alpha-2 region such as US or GB, got %q", ErrInvalid, s.PhoneRegion)
	}
	if s.BulkImportMinGroup < 2 {
		return fmt.Errorf("%w: bulk_import_min_group must be at least 2, got %d", ErrInvalid, s.BulkImportMinGroup)
	}
	return nil
}
