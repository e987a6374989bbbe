package sync

import (
	"strings"
	"testing"
	"time"
)

const (
	sfA = "003000000000001AAA"
	sfB = "003000000000002AAA"
	sfM = "003000000000003AAA"
)

func testDecider(mod func(*Settings)) *decider {
	s := DefaultSettings()
	s.AutoCreate = true
	s.AutoCreateSince = time.Date(2026, 1, 1, 0, 0, 0, 500e6, time.UTC)
	if mod != nil {
		mod(&s)
	}
	return newDecider("ws", s, DefaultFieldMap(), false)
}

func rec(id string, fields map[string]string) *SalesforceContact {
	r := &SalesforceContact{ID: id, Fields: fields, CreatedDate: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	r.Keys = r.MatchKeys("US")
	return r
}

var (
	emailKey = Key{KeyEmail, "a@example.com"}
	phoneKey = Key{KeyPhone, "+14155550134"}
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(d *decider)
		mod      func(*Settings)
		rec      *SalesforceContact
		decision Decision
		reason   string
	}{
		{name: "MissingID", rec: rec("", nil), decision: DecisionSkipped, reason: ReasonMissingID},
		{name: "LinkByEmail", rec: rec(sfA, map[string]string{"Email": "A@Example.com"}),
			setup: func(d *decider) {
				d.matches[emailKey] = []int64{7}
				d.contacts[7] = Contact{ID: 7, Email: "a@example.com"}
			}, decision: DecisionLinked},
		{name: "LinkByPhone", rec: rec(sfA, map[string]string{"Phone": "(415) 555-0134"}),
			setup: func(d *decider) { d.matches[phoneKey] = []int64{7} }, decision: DecisionLinked},
		{name: "SameContactBothKeys", rec: rec(sfA, map[string]string{"Email": "a@example.com", "Phone": "4155550134"}),
			setup:    func(d *decider) { d.matches[emailKey] = []int64{7}; d.matches[phoneKey] = []int64{7} },
			decision: DecisionLinked},
		{name: "Disagree", rec: rec(sfA, map[string]string{"Email": "a@example.com", "Phone": "4155550134"}),
			setup:    func(d *decider) { d.matches[emailKey] = []int64{7}; d.matches[phoneKey] = []int64{8} },
			decision: DecisionAmbiguous, reason: ReasonMatchesDisagree},
		{name: "Several", rec: rec(sfA, map[string]string{"Email": "a@example.com"}),
			setup:    func(d *decider) { d.matches[emailKey] = []int64{7, 8} },
			decision: DecisionAmbiguous, reason: ReasonSeveralContacts},
		{name: "MatchLinkedElsewhere", rec: rec(sfA, map[string]string{"Email": "a@example.com"}),
			setup: func(d *decider) {
				d.matches[emailKey] = []int64{7}
				d.contactLinks[7] = Link{ContactID: 7, SalesforceID: sfB}
			}, decision: DecisionAmbiguous, reason: ReasonContactLinked},
		{name: "AutoCreateOff", mod: func(s *Settings) { s.AutoCreate = false },
			rec: rec(sfA, map[string]string{"Email": "a@example.com"}), decision: DecisionSkipped, reason: ReasonAutoCreateOff},
		{name: "CreatedBefore", rec: func() *SalesforceContact {
			r := rec(sfA, map[string]string{"Email": "a@example.com"})
			r.CreatedDate = time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)
			return r
		}(), decision: DecisionSkipped, reason: ReasonCreatedBefore},
		{name: "CreatedInTheSecondOfSwitching", rec: func() *SalesforceContact {
			r := rec(sfA, map[string]string{"Email": "a@example.com"})
			r.CreatedDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			return r
		}(), decision: DecisionCreated},
		{name: "NoKeys", rec: rec(sfA, map[string]string{"Phone": "123"}), decision: DecisionSkipped, reason: ReasonNoKeys},
		{name: "BulkExcluded", rec: func() *SalesforceContact {
			r := rec(sfA, map[string]string{"Email": "a@example.com"})
			r.BulkImported = true
			return r
		}(), decision: DecisionSkipped, reason: ReasonBulkExcluded},
		{name: "BulkIncluded", mod: func(s *Settings) { s.IncludeBulkImport = true }, rec: func() *SalesforceContact {
			r := rec(sfA, map[string]string{"Email": "a@example.com"})
			r.BulkImported = true
			return r
		}(), decision: DecisionCreated},
		{name: "Create", rec: rec(sfA, map[string]string{"Email": "a@example.com"}), decision: DecisionCreated},
		{name: "DeletedNotLinked", rec: &SalesforceContact{ID: sfA, IsDeleted: true}, decision: DecisionSkipped, reason: ReasonDeletedNotLinked},
		{name: "DeletedLinked", rec: &SalesforceContact{ID: sfA, IsDeleted: true},
			setup:    func(d *decider) { d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA} },
			decision: DecisionUnlinked, reason: ReasonDeleted},
		{name: "MergedRelinks", rec: &SalesforceContact{ID: sfA, IsDeleted: true, MasterRecordID: sfM},
			setup:    func(d *decider) { d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA} },
			decision: DecisionRelinked},
		{name: "MergedMasterLinkedElsewhere", rec: &SalesforceContact{ID: sfA, IsDeleted: true, MasterRecordID: sfM},
			setup: func(d *decider) {
				d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA}
				d.links[sfM] = Link{ContactID: 8, SalesforceID: sfM}
			}, decision: DecisionUnlinked, reason: ReasonMasterLinked},
		{name: "LinkedUnchanged", rec: rec(sfA, map[string]string{"Title": "T"}),
			setup: func(d *decider) {
				d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA, Base: map[string]string{"Title": "T"}}
				d.contacts[7] = Contact{ID: 7, Title: "T"}
			}, decision: DecisionSkipped, reason: ReasonNoChanges},
		{name: "LinkedUpdated", rec: rec(sfA, map[string]string{"Title": "New"}),
			setup: func(d *decider) {
				d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA, Base: map[string]string{"Title": "T"}}
				d.contacts[7] = Contact{ID: 7, Title: "T"}
			}, decision: DecisionUpdated},
		{name: "LinkedContactMissing", rec: rec(sfA, nil),
			setup:    func(d *decider) { d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA} },
			decision: DecisionSkipped, reason: ReasonLinkedMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDecider(tt.mod)
			if tt.setup != nil {
				tt.setup(d)
			}
			out := d.decide(tt.rec)
			if out.Decision != tt.decision || !strings.HasPrefix(out.Reason, tt.reason) {
				t.Fatalf("decide = %s (%s), want %s (%s)", out.Decision, out.Reason, tt.decision, tt.reason)
			}
			switch out.Decision {
			case DecisionCreated:
				c := out.Create.Contact
				if c.Source != SourceSalesforce || !c.HasTag(TagAutoCreatedSalesforce) || c.BulkImported != tt.rec.BulkImported || c.Email != tt.rec.Fields["Email"] {
					t.Errorf("create = %+v", c)
				}
			case DecisionLinked:
				if out.Link == nil || out.Link.SalesforceID != sfA || out.Link.ContactID != 7 {
					t.Errorf("link = %+v", out.Link)
				}
			case DecisionUpdated:
				if out.Update == nil || out.Update.Set[AttrTitle] != "New" || out.Update.Base["Title"] != "New" {
					t.Errorf("update = %+v", out.Update)
				}
			case DecisionRelinked:
				if out.Relink == nil || out.Relink.From != sfA || out.Relink.To != sfM {
					t.Errorf("relink = %+v", out.Relink)
				}
			}
		})
	}
}

func TestDecideSamePage(t *testing.T) {
	t.Run("SharedKeyCreatesOnce", func(t *testing.T) {
		d := testDecider(nil)
		first := d.decide(rec(sfA, map[string]string{"Email": "a@example.com"}))
		second := d.decide(rec(sfB, map[string]string{"Email": "A@example.com", "Phone": "4155550134"}))
		if first.Decision != DecisionCreated || second.Decision != DecisionAmbiguous || !strings.HasPrefix(second.Reason, ReasonSharedKeyInPage) {
			t.Fatalf("got %s, %s (%s)", first.Decision, second.Decision, second.Reason)
		}
	})
	t.Run("TwoRecordsOneContact", func(t *testing.T) {
		d := testDecider(nil)
		d.matches[emailKey] = []int64{7}
		first := d.decide(rec(sfA, map[string]string{"Email": "a@example.com"}))
		second := d.decide(rec(sfB, map[string]string{"Email": "a@example.com"}))
		if first.Decision != DecisionLinked || second.Decision != DecisionAmbiguous {
			t.Fatalf("got %s, %s", first.Decision, second.Decision)
		}
	})
	t.Run("MergeThenMasterUpdate", func(t *testing.T) {
		d := testDecider(nil)
		d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA, Base: map[string]string{"Title": "T"}}
		d.contacts[7] = Contact{ID: 7, Title: "T", Version: 3}
		if out := d.decide(&SalesforceContact{ID: sfA, IsDeleted: true, MasterRecordID: sfM}); out.Decision != DecisionRelinked {
			t.Fatalf("merge: %s", out.Decision)
		}
		out := d.decide(rec(sfM, map[string]string{"Title": "Master"}))
		if out.Decision != DecisionUpdated || out.Update.SalesforceID != sfM || out.Update.Set[AttrTitle] != "Master" {
			t.Fatalf("master: %+v", out)
		}
	})
	t.Run("UnlinkFreesContact", func(t *testing.T) {
		d := testDecider(nil)
		d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA}
		d.contactLinks[7] = Link{ContactID: 7, SalesforceID: sfA}
		d.matches[emailKey] = []int64{7}
		d.decide(&SalesforceContact{ID: sfA, IsDeleted: true})
		if out := d.decide(rec(sfB, map[string]string{"Email": "a@example.com"})); out.Decision != DecisionLinked {
			t.Fatalf("got %s (%s)", out.Decision, out.Reason)
		}
	})
}

func TestDecideConflict(t *testing.T) {
	for _, pol := range []ConflictPolicy{SalesforceWins, LocalWins} {
		d := testDecider(func(s *Settings) { s.ConflictPolicy = pol })
		d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA, Base: map[string]string{"Title": "T", "Email": "a@example.com"}}
		d.contacts[7] = Contact{ID: 7, Title: "Local", Email: "local@example.com", Version: 2}
		out := d.decide(rec(sfA, map[string]string{"Title": "Remote", "Email": "remote@example.com"}))
		if len(out.Conflicts) != 2 || out.Update == nil || out.Update.Version != 2 {
			t.Fatalf("%s: %+v", pol, out)
		}
		// Email is pull-only: Salesforce's value wins whatever the policy.
		if out.Update.Set[AttrEmail] != "remote@example.com" {
			t.Errorf("%s: email set = %q", pol, out.Update.Set[AttrEmail])
		}
		title, push := out.Update.Set[AttrTitle], out.Update.Push
		if pol == SalesforceWins && (title != "Remote" || push) || pol == LocalWins && (title != "" || !push) {
			t.Errorf("%s: title set %q push %v", pol, title, push)
		}
		if out.Update.Base["Title"] != "Remote" {
			t.Errorf("%s: base = %v", pol, out.Update.Base)
		}
	}
}

// TestDecideSamePageAsLaterPage checks that a record decides as it would on a
// later page, where the store shows the effects of the earlier records: page
// boundaries move when a crashed pass redoes a page, and the decisions must
// not move with them.
func TestDecideSamePageAsLaterPage(t *testing.T) {
	t.Run("KeyOnlyInRecordIsNotTheContacts", func(t *testing.T) {
		// The first record's HomePhone is not kept on the contact it
		// creates, so a later page finds no contact with it: the second
		// record, whose Phone it is, is created too.
		d := testDecider(nil)
		first := d.decide(rec(sfA, map[string]string{"Email": "a@example.com", "HomePhone": "4155550134"}))
		second := d.decide(rec(sfB, map[string]string{"Phone": "4155550134"}))
		if first.Decision != DecisionCreated || second.Decision != DecisionCreated {
			t.Fatalf("got %s, %s (%s)", first.Decision, second.Decision, second.Reason)
		}
	})
	t.Run("RecordKeyMatchesCreatedContact", func(t *testing.T) {
		d := testDecider(nil)
		first := d.decide(rec(sfA, map[string]string{"Phone": "4155550134"}))
		second := d.decide(rec(sfB, map[string]string{"Email": "b@example.com", "OtherPhone": "(415) 555-0134"}))
		if first.Decision != DecisionCreated || second.Decision != DecisionAmbiguous || !strings.HasPrefix(second.Reason, ReasonSharedKeyInPage) {
			t.Fatalf("got %s, %s (%s)", first.Decision, second.Decision, second.Reason)
		}
	})
	t.Run("StoreMatchAndCreatedContactDisagree", func(t *testing.T) {
		// The email matches contact 7, the phone the contact the page
		// creates: the matches disagree, as they would on a later page.
		d := testDecider(nil)
		d.matches[emailKey] = []int64{7}
		d.contacts[7] = Contact{ID: 7, Email: "a@example.com", Version: 1}
		if out := d.decide(rec(sfA, map[string]string{"Phone": "4155550134"})); out.Decision != DecisionCreated {
			t.Fatalf("first: %s", out.Decision)
		}
		out := d.decide(rec(sfB, map[string]string{"Email": "a@example.com", "Phone": "4155550134"}))
		if out.Decision != DecisionAmbiguous || !strings.HasPrefix(out.Reason, ReasonMatchesDisagree) {
			t.Fatalf("second: %s (%s)", out.Decision, out.Reason)
		}
	})
	t.Run("KeyGainedByLinkedContact", func(t *testing.T) {
		// Linking fills contact 7's empty email; a later record with that
		// email finds contact 7, linked: ambiguous, not a second contact
		// with the same email.
		d := testDecider(nil)
		d.matches[phoneKey] = []int64{7}
		d.contacts[7] = Contact{ID: 7, Phone: "+14155550134", Version: 1}
		first := d.decide(rec(sfA, map[string]string{"Email": "a@example.com", "Phone": "4155550134"}))
		if first.Decision != DecisionLinked || first.Update == nil || first.Update.Set[AttrEmail] != "a@example.com" {
			t.Fatalf("first: %+v", first)
		}
		second := d.decide(rec(sfB, map[string]string{"Email": "a@example.com"}))
		if second.Decision != DecisionAmbiguous || second.Create != nil {
			t.Fatalf("second: %s (%s)", second.Decision, second.Reason)
		}
	})
	t.Run("KeyLostByLinkedContact", func(t *testing.T) {
		// Salesforce changed the linked record's email: the contact loses
		// the old one, and a later record with it no longer matches it.
		d := testDecider(nil)
		d.links[sfA] = Link{ContactID: 7, SalesforceID: sfA, Base: map[string]string{"Email": "a@example.com"}}
		d.contactLinks[7] = d.links[sfA]
		d.contacts[7] = Contact{ID: 7, Email: "a@example.com", Version: 1}
		d.matches[emailKey] = []int64{7}
		if out := d.decide(rec(sfA, map[string]string{"Email": "new@example.com"})); out.Decision != DecisionUpdated {
			t.Fatalf("first: %s (%s)", out.Decision, out.Reason)
		}
		if out := d.decide(rec(sfB, map[string]string{"Email": "a@example.com"})); out.Decision != DecisionCreated {
			t.Fatalf("second: %s (%s)", out.Decision, out.Reason)
		}
	})
}
