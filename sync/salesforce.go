package sync

import "time"

// Salesforce field names the engine relies on.
const (
	FieldID             = "Id"
	FieldEmail          = "Email"
	FieldPhone          = "Phone"
	FieldMobilePhone    = "MobilePhone"
	FieldHomePhone      = "HomePhone"
	FieldOtherPhone     = "OtherPhone"
	FieldCreatedByID    = "CreatedById"
	FieldCreatedDate    = "CreatedDate"
	FieldSystemModstamp = "SystemModstamp"
	FieldIsDeleted      = "IsDeleted"
	FieldMasterRecordID = "MasterRecordId"
)

// SalesforceContact is one Salesforce Contact as contactsync last saw it: the
// row of the workspace's mirror.
type SalesforceContact struct {
	// ID is the 18-character record id.
	ID string
	// Fields holds the synced field values by Salesforce field name. An
	// empty string stands for null.
	Fields         map[string]string
	CreatedByID    string
	CreatedDate    time.Time
	SystemModstamp time.Time
	IsDeleted      bool
	// MasterRecordID names the surviving record when this one was merged
	// away.
	MasterRecordID string
	// BulkImported is set by the engine when the record was created by a
	// bulk import.
	BulkImported bool
	// Keys are the normalized match keys, set by the engine.
	Keys []Key
}

// MatchKeys derives the record's match keys from its email and phone fields.
func (r *SalesforceContact) MatchKeys(region string) []Key {
	f := r.Fields
	return KeysOf(region,
		[]string{f[FieldEmail]},
		[]string{f[FieldPhone], f[FieldMobilePhone], f[FieldHomePhone], f[FieldOtherPhone]})
}

// Cursor is how far the pull has read: the (SystemModstamp, Id) of the last
// committed record. The zero Cursor reads from the beginning.
type Cursor struct {
	SystemModstamp time.Time
	ID             string
}

// Less orders cursors by stamp, then id.
func (c Cursor) Less(o Cursor) bool {
	if !c.SystemModstamp.Equal(o.SystemModstamp) {
		return c.SystemModstamp.Before(o.SystemModstamp)
	}
	return c.ID < o.ID
}

// CursorOf returns the cursor positioned at r.
func CursorOf(r *SalesforceContact) Cursor {
	return Cursor{SystemModstamp: r.SystemModstamp, ID: r.ID}
}
