package sync

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// TagAutoCreatedSalesforce is the system tag on contacts created from a
// Salesforce Contact.
const TagAutoCreatedSalesforce = "Auto-created: Salesforce"

// IsSystemTag reports whether tag is added by contactsync and can never be
// removed or renamed.
func IsSystemTag(tag string) bool { return tag == TagAutoCreatedSalesforce }

// Source values say where a contact came from.
const (
	SourceLocal      = "local"
	SourceSalesforce = "salesforce"
)

// Contact is a contact in the local contact book. Phone and email hold the
// values as entered; match keys are derived from them (see Keys).
type Contact struct {
	ID          int64
	WorkspaceID string
	FirstName   string
	LastName    string
	Email       string
	Phone       string
	MobilePhone string
	Title       string
	LeadSource  string
	Description string
	// Custom holds further mapped attributes, addressed as "custom.<name>".
	Custom       map[string]string
	Tags         []string
	BulkImported bool
	// Source is SourceLocal or SourceSalesforce.
	Source string
	// Version increases on every write; stores use it for optimistic
	// locking.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Keys returns the contact's match keys, using region for phone numbers
// written without a country code.
func (c *Contact) Keys(region string) []Key {
	return KeysOf(region, []string{c.Email}, []string{c.Phone, c.MobilePhone})
}

// HasTag reports whether the contact carries tag.
func (c *Contact) HasTag(tag string) bool { return slices.Contains(c.Tags, tag) }

// AddTag adds tag unless the contact already has it.
func (c *Contact) AddTag(tag string) {
	if !c.HasTag(tag) {
		c.Tags = append(c.Tags, tag)
	}
}

// CheckTagChange returns an error wrapping ErrSystemTag when going from the
// tags in before to the tags in after drops a system tag.
func CheckTagChange(before, after []string) error {
	for _, t := range before {
		if IsSystemTag(t) && !slices.Contains(after, t) {
			return fmt.Errorf("%w: %q", ErrSystemTag, t)
		}
	}
	return nil
}

// Local attribute names, as used in field mappings and the contacts API.
const (
	AttrFirstName   = "first_name"
	AttrLastName    = "last_name"
	AttrEmail       = "email"
	AttrPhone       = "phone"
	AttrMobilePhone = "mobile_phone"
	AttrTitle       = "title"
	AttrLeadSource  = "lead_source"
	AttrDescription = "description"
	customPrefix    = "custom."
)

func (c *Contact) field(attr string) *string {
	switch attr {
	case AttrFirstName:
		return &c.FirstName
	case AttrLastName:
		return &c.LastName
	case AttrEmail:
		return &c.Email
	case AttrPhone:
		return &c.Phone
	case AttrMobilePhone:
		return &c.MobilePhone
	case AttrTitle:
		return &c.Title
	case AttrLeadSource:
		return &c.LeadSource
	case AttrDescription:
		return &c.Description
	}
	return nil
}

// ValidAttr reports whether attr names a local attribute: one of the Attr
// constants or "custom.<name>".
func ValidAttr(attr string) bool {
	if name, ok := strings.CutPrefix(attr, customPrefix); ok {
		return name != ""
	}
	return (&Contact{}).field(attr) != nil
}

// Get returns the value of a local attribute, "" when unset or unknown.
func (c *Contact) Get(attr string) string {
	if name, ok := strings.CutPrefix(attr, customPrefix); ok {
		return c.Custom[name]
	}
	if p := c.field(attr); p != nil {
		return *p
	}
	return ""
}

// Set sets a local attribute. It returns an error wrapping ErrInvalid for an
// unknown attribute.
func (c *Contact) Set(attr, value string) error {
	if name, ok := strings.CutPrefix(attr, customPrefix); ok && name != "" {
		if c.Custom == nil {
			c.Custom = make(map[string]string)
		}
		if value == "" {
			delete(c.Custom, name)
		} else {
			c.Custom[name] = value
		}
		return nil
	}
	p := c.field(attr)
	if p == nil {
		return fmt.Errorf("%w: unknown contact attribute %q", ErrInvalid, attr)
	}
	*p = value
	return nil
}

// ContactFilter selects contacts to list. Zero fields do not filter.
type ContactFilter struct {
	// Keys selects contacts having any of these match keys.
	Keys []Key
	// Tag selects contacts carrying this tag.
	Tag string
	// AfterID returns contacts with a larger id (keyset pagination).
	AfterID int64
	// Limit caps the result; stores apply a default when zero.
	Limit int
}
