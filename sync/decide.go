package sync

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Reasons recorded with skipped and ambiguous decisions.
const (
	ReasonMissingID          = "missing_id"
	ReasonAutoCreateOff      = "auto_create_off"
	ReasonCreatedBefore      = "created_before_auto_create"
	ReasonBulkExcluded       = "bulk_import_excluded"
	ReasonNoKeys             = "no_keys"
	ReasonNoChanges          = "no_changes"
	ReasonDeletedNotLinked   = "deleted_not_linked"
	ReasonLinkedMissing      = "linked_contact_missing"
	ReasonMasterLinked       = "merged_into_linked_record"
	ReasonDeleted            = "deleted_in_salesforce"
	ReasonMergedIntoMaster   = "merged_in_salesforce"
	ReasonSeveralContacts    = "key_matches_several_contacts"
	ReasonMatchesDisagree    = "matches_disagree"
	ReasonContactLinked      = "matched_contact_linked_elsewhere"
	ReasonSharedKeyInPage    = "key_shared_with_record_created_in_same_pass"
	matchedBySalesforceID    = "salesforce_id"
	reasonConflictFieldFmt   = "%s changed on both sides: %s"
	reasonLinkedAtCreateTime = "created"
)

// outcome is the decision about one record and its effects on the page.
type outcome struct {
	Decision  Decision
	Reason    string
	MatchedBy string
	ContactID int64
	Create    *CreateLinked
	Link      *Link
	Update    *ContactUpdate
	Unlink    string
	Relink    *Relink
	// Conflicts names the Salesforce fields both sides had changed.
	Conflicts []string
}

// decider decides what to do with each record of one page. It is pure: the
// store's answers for the page are loaded into it first, and it tracks the
// effects of the page's earlier decisions (a contact linked or created by
// one record is not free for the next).
type decider struct {
	ws       string
	settings Settings
	fields   FieldMap
	backfill bool

	// What the store said, for the page.
	links        map[string]Link   // by Salesforce id: the page's records and merge masters
	contacts     map[int64]Contact // linked and matched contacts
	contactLinks map[int64]Link    // links of matched contacts
	matches      map[Key][]int64

	// The page's own effects so far.
	sfLinked  map[string]int64             // Salesforce id -> contact (0: unlinked in this page)
	contactSF map[int64]string             // contact -> Salesforce id ("": unlinked in this page)
	movedBase map[string]map[string]string // relinked master -> base carried over
	// Match keys the page's effects add and remove, so a later record of
	// the page sees the contact book as a later page would (see matchesOf).
	// Contacts the page creates have negative ids until the commit.
	gainedKeys map[Key][]int64
	lostKeys   map[Key][]int64
	creating   map[int64]string // pending contact (negative id) -> Salesforce id
}

func newDecider(ws string, s Settings, fields FieldMap, backfill bool) *decider {
	return &decider{
		ws:           ws,
		settings:     s,
		fields:       fields,
		backfill:     backfill,
		links:        map[string]Link{},
		contacts:     map[int64]Contact{},
		contactLinks: map[int64]Link{},
		matches:      map[Key][]int64{},
		sfLinked:     map[string]int64{},
		contactSF:    map[int64]string{},
		movedBase:    map[string]map[string]string{},
		gainedKeys:   map[Key][]int64{},
		lostKeys:     map[Key][]int64{},
		creating:     map[int64]string{},
	}
}

// matchesOf returns the contacts having key k once the page's earlier
// decisions are applied: the store's answer, minus contacts that lost the
// key, plus contacts created or changed to have it. A decision therefore
// does not depend on whether an earlier record was on the same page or on an
// earlier one, so a page redone with other boundaries after a crash (the
// overlap window, another page size) decides the same.
func (d *decider) matchesOf(k Key) []int64 {
	ids := d.matches[k]
	if lost := d.lostKeys[k]; len(lost) > 0 {
		ids = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return slices.Contains(lost, id) })
	}
	if gained := d.gainedKeys[k]; len(gained) > 0 {
		ids = appendUnique(slices.Clone(ids), gained...)
	}
	return ids
}

// trackKeys records how a contact's match keys changed from before to
// after.
func (d *decider) trackKeys(cid int64, before, after []Key) {
	for _, k := range before {
		if !slices.Contains(after, k) {
			d.lostKeys[k] = appendUnique(d.lostKeys[k], cid)
			d.gainedKeys[k] = slices.DeleteFunc(d.gainedKeys[k], func(id int64) bool { return id == cid })
		}
	}
	for _, k := range after {
		if !slices.Contains(before, k) {
			d.gainedKeys[k] = appendUnique(d.gainedKeys[k], cid)
			d.lostKeys[k] = slices.DeleteFunc(d.lostKeys[k], func(id int64) bool { return id == cid })
		}
	}
}

// linkOf returns the contact the Salesforce id is linked to, taking the
// page's earlier decisions into account.
func (d *decider) linkOf(sfID string) (int64, bool) {
	if cid, ok := d.sfLinked[sfID]; ok {
		return cid, cid != 0
	}
	l, ok := d.links[sfID]
	return l.ContactID, ok
}

// linkedSF returns the Salesforce id the contact is linked to.
func (d *decider) linkedSF(cid int64) (string, bool) {
	if sf, ok := d.creating[cid]; ok {
		return sf, true
	}
	if sf, ok := d.contactSF[cid]; ok {
		return sf, sf != ""
	}
	if l, ok := d.contactLinks[cid]; ok {
		// The link may have moved in this page.
		if cur, ok := d.sfLinked[l.SalesforceID]; ok && cur != cid {
			return "", false
		}
		return l.SalesforceID, true
	}
	return "", false
}

func (d *decider) setLink(sfID string, cid int64) {
	d.sfLinked[sfID] = cid
	d.contactSF[cid] = sfID
}

func (d *decider) dropLink(sfID string, cid int64) {
	d.sfLinked[sfID] = 0
	if d.contactSF[cid] == sfID || d.contactSF[cid] == "" {
		d.contactSF[cid] = ""
	}
}

// decide decides about one record. Records of a page are decided in order,
// deletions first (see pull).
func (d *decider) decide(rec *SalesforceContact) outcome {
	if rec.ID == "" {
		return outcome{Decision: DecisionSkipped, Reason: ReasonMissingID}
	}
	if rec.IsDeleted {
		return d.decideDeleted(rec)
	}
	if cid, ok := d.linkOf(rec.ID); ok {
		return d.decideLinked(rec, cid)
	}
	return d.decideUnlinked(rec)
}

func (d *decider) decideDeleted(rec *SalesforceContact) outcome {
	cid, ok := d.linkOf(rec.ID)
	if !ok {
		return outcome{Decision: DecisionSkipped, Reason: ReasonDeletedNotLinked}
	}
	if m := rec.MasterRecordID; m != "" && m != rec.ID {
		if other, ok := d.linkOf(m); ok && other != cid {
			d.dropLink(rec.ID, cid)
			return outcome{Decision: DecisionUnlinked, Reason: ReasonMasterLinked, ContactID: cid,
				MatchedBy: matchedBySalesforceID, Unlink: rec.ID}
		} else if ok {
			// Already linked to the master (a redone page): just drop the
			// loser's link.
			d.dropLink(rec.ID, cid)
			return outcome{Decision: DecisionUnlinked, Reason: ReasonMergedIntoMaster, ContactID: cid,
				MatchedBy: matchedBySalesforceID, Unlink: rec.ID}
		}
		if l, ok := d.links[rec.ID]; ok {
			d.movedBase[m] = l.Base
		}
		d.dropLink(rec.ID, cid)
		d.setLink(m, cid)
		return outcome{Decision: DecisionRelinked, Reason: ReasonMergedIntoMaster, ContactID: cid,
			MatchedBy: matchedBySalesforceID, Relink: &Relink{From: rec.ID, To: m}}
	}
	d.dropLink(rec.ID, cid)
	return outcome{Decision: DecisionUnlinked, Reason: ReasonDeleted, ContactID: cid,
		MatchedBy: matchedBySalesforceID, Unlink: rec.ID}
}

// decideLinked merges Salesforce's changes into the linked contact.
func (d *decider) decideLinked(rec *SalesforceContact, cid int64) outcome {
	c, ok := d.contacts[cid]
	if !ok {
		return outcome{Decision: DecisionSkipped, Reason: ReasonLinkedMissing, ContactID: cid, MatchedBy: matchedBySalesforceID}
	}
	oldBase, oldPending := d.links[rec.ID].Base, d.links[rec.ID].Pending
	if b, ok := d.movedBase[rec.ID]; ok {
		oldBase, oldPending = b, nil
	}
	set, base, conflicts, push := d.merge(&c, oldBase, oldPending, rec)
	// A pending value Salesforce now holds is confirmed: it is the base.
	pending := withoutPending(oldPending, func(f string) bool {
		return slices.Contains(oldPending[f], rec.Fields[f])
	})
	out := outcome{ContactID: cid, MatchedBy: matchedBySalesforceID, Conflicts: conflicts}
	if len(set) > 0 || push || !maps.Equal(base, oldBase) || len(pending) != len(oldPending) {
		out.Update = &ContactUpdate{ContactID: cid, Version: c.Version, Set: set,
			SalesforceID: rec.ID, Base: base, Pending: pending, Push: push}
		d.applyLocally(cid, set)
	}
	if len(set) > 0 {
		out.Decision = DecisionUpdated
		out.Reason = "fields: " + strings.Join(slices.Sorted(maps.Keys(set)), ",")
	} else {
		out.Decision, out.Reason = DecisionSkipped, ReasonNoChanges
	}
	return out
}

// merge merges every pulled field of rec into c against base, where a
// remote value among the field's pending pushed values is our own echo (see
// EchoBase). It returns the local attributes to set, the new base, the
// conflicting fields and whether the contact must be pushed (a conflict the
// local side won).
func (d *decider) merge(c *Contact, base map[string]string, pending map[string][]string, rec *SalesforceContact) (set, newBase map[string]string, conflicts []string, push bool) {
	set = map[string]string{}
	newBase = maps.Clone(base)
	if newBase == nil {
		newBase = map[string]string{}
	}
	for _, f := range d.fields {
		if !f.Direction.Pulls() {
			continue
		}
		local := c.Get(f.Local)
		remote := rec.Fields[f.Salesforce]
		m := MergeField(EchoBase(base[f.Salesforce], remote, pending[f.Salesforce]), local, remote, d.settings.ConflictPolicy, f.Direction.Pushes())
		newBase[f.Salesforce] = m.Base
		if m.Value != local {
			set[f.Local] = m.Value
		}
		if m.Outcome.Conflict() {
			conflicts = append(conflicts, f.Salesforce)
		}
		if m.Outcome == MergeConflictLocal {
			push = true
		}
	}
	return set, newBase, conflicts, push
}

// changedKeys returns the keys contacts gained or lost through the page's
// decisions so far.
func (d *decider) changedKeys() []Key {
	keys := make([]Key, 0, len(d.gainedKeys)+len(d.lostKeys))
	for k := range d.gainedKeys {
		keys = append(keys, k)
	}
	for k := range d.lostKeys {
		keys = append(keys, k)
	}
	return keys
}

// applyLocally records set in the decider's copy of the contact, so a later
// record of the page merging into the same contact sees it.
func (d *decider) applyLocally(cid int64, set map[string]string) {
	if len(set) == 0 {
		return
	}
	c := d.contacts[cid]
	before := c.Keys(d.settings.PhoneRegion)
	c.Custom = maps.Clone(c.Custom)
	for a, v := range set {
		_ = c.Set(a, v)
	}
	d.contacts[cid] = c
	d.trackKeys(cid, before, c.Keys(d.settings.PhoneRegion))
}

// remoteBase returns the record's values of every mapped field: the base of
// a new link.
func (d *decider) remoteBase(rec *SalesforceContact) map[string]string {
	b := make(map[string]string, len(d.fields))
	for _, f := range d.fields {
		b[f.Salesforce] = rec.Fields[f.Salesforce]
	}
	return b
}

func (d *decider) decideUnlinked(rec *SalesforceContact) outcome {
	var emailIDs, phoneIDs []int64
	for _, k := range rec.Keys {
		ids := d.matchesOf(k)
		if len(ids) > 1 {
			return outcome{Decision: DecisionAmbiguous, MatchedBy: string(k.Kind),
				Reason: fmt.Sprintf("%s: %s matches %d contacts", ReasonSeveralContacts, k.Kind, len(ids))}
		}
		if len(ids) == 1 {
			if k.Kind == KeyEmail {
				emailIDs = appendUnique(emailIDs, ids[0])
			} else {
				phoneIDs = appendUnique(phoneIDs, ids[0])
			}
		}
	}
	cands := appendUnique(append([]int64(nil), emailIDs...), phoneIDs...)
	switch {
	case len(cands) > 1:
		return outcome{Decision: DecisionAmbiguous,
			Reason: fmt.Sprintf("%s: email matches %v, phone matches %v", ReasonMatchesDisagree, emailIDs, phoneIDs)}
	case len(cands) == 1:
		return d.decideMatch(rec, cands[0], len(emailIDs) == 1)
	}
	return d.decideCreate(rec)
}

func (d *decider) decideMatch(rec *SalesforceContact, cid int64, byEmail bool) outcome {
	method, by := LinkPhone, string(KeyPhone)
	if byEmail {
		method, by = LinkEmail, string(KeyEmail)
	}
	if other, ok := d.creating[cid]; ok {
		// The contact this page creates for another record, which a later
		// page would find linked to it.
		return outcome{Decision: DecisionAmbiguous, MatchedBy: by,
			Reason: fmt.Sprintf("%s: %s shares its %s with %s", ReasonSharedKeyInPage, rec.ID, by, other)}
	}
	if other, ok := d.linkedSF(cid); ok {
		return outcome{Decision: DecisionAmbiguous, MatchedBy: by, ContactID: cid,
			Reason: fmt.Sprintf("%s: contact %d is linked to %s", ReasonContactLinked, cid, other)}
	}
	out := outcome{Decision: DecisionLinked, MatchedBy: by, ContactID: cid,
		Link: &Link{WorkspaceID: d.ws, ContactID: cid, SalesforceID: rec.ID, Method: method, Base: d.remoteBase(rec)}}
	if c, ok := d.contacts[cid]; ok {
		// Nothing was agreed before the link: merge against an empty base,
		// so empty fields are filled from either side and fields set on
		// both follow the conflict policy.
		set, _, _, push := d.merge(&c, nil, nil, rec)
		if len(set) > 0 || push {
			out.Update = &ContactUpdate{ContactID: cid, Version: c.Version, Set: set,
				SalesforceID: rec.ID, Base: out.Link.Base, Push: push}
			d.applyLocally(cid, set)
		}
	}
	d.setLink(rec.ID, cid)
	return out
}

func (d *decider) decideCreate(rec *SalesforceContact) outcome {
	s := d.settings
	switch {
	case !s.AutoCreate:
		return outcome{Decision: DecisionSkipped, Reason: ReasonAutoCreateOff}
	case !d.backfill && createdBefore(rec.CreatedDate, s.AutoCreateSince):
		return outcome{Decision: DecisionSkipped, Reason: ReasonCreatedBefore}
	case len(rec.Keys) == 0:
		return outcome{Decision: DecisionSkipped, Reason: ReasonNoKeys}
	case rec.BulkImported && !s.IncludeBulkImport:
		return outcome{Decision: DecisionSkipped, Reason: ReasonBulkExcluded}
	}
	c := Contact{Source: SourceSalesforce, BulkImported: rec.BulkImported}
	for _, f := range d.fields {
		// Every mapped field starts from Salesforce's value: the contact is
		// created from the record.
		_ = c.Set(f.Local, rec.Fields[f.Salesforce])
	}
	if s.AddTag {
		c.AddTag(TagAutoCreatedSalesforce)
	}
	// Later records of the page match the new contact by its own keys (not
	// the record's: HomePhone and OtherPhone are not kept locally), as they
	// would on a later page.
	pending := -int64(len(d.creating) + 1)
	d.creating[pending] = rec.ID
	d.trackKeys(pending, nil, c.Keys(s.PhoneRegion))
	d.sfLinked[rec.ID] = pending // linked to the contact the commit creates
	return outcome{Decision: DecisionCreated, Reason: reasonLinkedAtCreateTime,
		Create: &CreateLinked{Contact: c, Link: Link{WorkspaceID: d.ws, SalesforceID: rec.ID, Method: LinkCreated, Base: d.remoteBase(rec)}}}
}

// createdBefore reports whether a record created at created predates
// auto-create being switched on at since. Salesforce stamps have one-second
// resolution, so since is compared to the second: a record created in the
// second auto-create was switched on counts as after.
func createdBefore(created, since time.Time) bool {
	if since.IsZero() {
		return false
	}
	return created.Before(since.Truncate(time.Second))
}

func appendUnique(s []int64, vs ...int64) []int64 {
	for _, v := range vs {
		found := false
		for _, x := range s {
			if x == v {
				found = true
				break
			}
		}
		if !found {
			s = append(s, v)
		}
	}
	return s
}
