package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// pushCreates handles OutboxCreate items of unlinked contacts. Each contact is
// linked to an existing Salesforce Contact with one of its keys when there is
// exactly one (looked up in the mirror and, by email, live in Salesforce),
// and created otherwise, all creates of the batch in one Collections call. A
// create refused as a duplicate links to the record Salesforce names.
//
// Crash safety: a create that reached Salesforce but whose result was never
// recorded is found again by the live email lookup when the item is retried,
// or, for a contact without email, linked by its phone by the pull that runs
// first in the next pass.
func (b *pushBatch) pushCreates(ctx context.Context, items []*Claimed) error {
	if len(items) == 0 {
		return nil
	}
	if !b.r.ws.Settings.PushNewContacts {
		for _, c := range items {
			b.done(c, nil)
			b.event(c, "", DecisionSkipped, "", "push_new_contacts is off")
		}
		return nil
	}
	region := b.r.ws.Settings.PhoneRegion
	keys := make(map[int64][]Key, len(items))
	var allKeys []Key
	var emails []string
	for _, c := range items {
		k := c.Contact.Keys(region)
		keys[c.Item.ID] = k
		allKeys = append(allKeys, k...)
		if e := strings.TrimSpace(c.Contact.Email); e != "" {
			emails = append(emails, e)
			if n, ok := NormalizeEmail(e); ok && n != e {
				emails = append(emails, n)
			}
		}
	}

	// Candidates by key: the mirror (everything pulled so far) and the live
	// org by email (created since the last pull, or by a crashed attempt).
	byKey := map[Key][]string{}
	records := map[string]SalesforceContact{}
	if len(allKeys) > 0 {
		mm, err := b.e.Store.MirrorMatches(ctx, b.r.ws.ID, allKeys)
		if err != nil {
			return fmt.Errorf("mirror matches: %w", err)
		}
		for k, ids := range mm {
			byKey[k] = append(byKey[k], ids...)
		}
	}
	if len(emails) > 0 {
		found, err := b.r.src.FindContactsByEmail(ctx, dedupe(emails), b.fields.SalesforceFields())
		if err != nil {
			return fmt.Errorf("find contacts by email: %w", err)
		}
		for _, rec := range found {
			if rec.IsDeleted {
				continue
			}
			records[rec.ID] = rec
			for _, k := range rec.MatchKeys(region) {
				byKey[k] = append(byKey[k], rec.ID)
			}
		}
	}

	type match struct {
		c     *Claimed
		sfID  string
		keyBy string
	}
	var matches []match
	var toCreate []*Claimed
	claimedKey := map[Key]int64{} // key → first contact of this batch to create with it
	for _, c := range items {
		ids, by := candidates(keys[c.Item.ID], byKey)
		switch len(ids) {
		case 0:
			if other, dup := sharesKey(keys[c.Item.ID], claimedKey, c.Contact.ID); dup {
				// Two new local contacts with one key: create one, let the
				// other find it on its next attempt (then it is ambiguous
				// or already linked, and surfaces as failed).
				b.retry(c, fmt.Sprintf("shares a key with contact %d being created in the same batch", other))
				continue
			}
			toCreate = append(toCreate, c)
		case 1:
			matches = append(matches, match{c: c, sfID: ids[0], keyBy: by[ids[0]]})
		default:
			b.fail(c, "", fmt.Sprintf("ambiguous: %d Salesforce contacts share its keys (%s); link one by hand", len(ids), strings.Join(ids, ",")))
		}
	}

	// Links to records found, and to duplicates Salesforce names, need the
	// record's values for the link's base.
	if len(toCreate) > 0 {
		recs := make([]map[string]string, len(toCreate))
		for i, c := range toCreate {
			recs[i] = b.newRecord(&c.Contact)
		}
		b.e.hook("push:create")
		res, err := b.r.src.CreateContacts(ctx, recs)
		if err != nil {
			return fmt.Errorf("create contacts: %w", err)
		}
		if len(res) != len(recs) {
			return fmt.Errorf("create contacts: %d results for %d records", len(res), len(recs))
		}
		for i, c := range toCreate {
			var dup *DuplicateError
			switch werr := res[i].Err; {
			case werr == nil:
				l := &Link{WorkspaceID: b.r.ws.ID, ContactID: c.Contact.ID, SalesforceID: res[i].ID, Method: LinkCreated, Base: b.baseOf(recs[i])}
				b.done(c, l)
				b.pushed++
				b.event(c, res[i].ID, DecisionCreated, "", "created Salesforce contact")
			case errors.As(werr, &dup) && len(dup.IDs) > 0:
				matches = append(matches, match{c: c, sfID: dup.IDs[0], keyBy: "duplicate_rule"})
			default:
				b.writeFailed(c, "", werr)
			}
		}
	}
	if len(matches) == 0 {
		return nil
	}

	ids := make([]string, 0, len(matches))
	for _, m := range matches {
		ids = append(ids, m.sfID)
	}
	links, err := b.e.Store.LinksBySalesforceID(ctx, b.r.ws.ID, ids)
	if err != nil {
		return fmt.Errorf("links by salesforce id: %w", err)
	}
	var missing []string
	for _, id := range dedupe(ids) {
		if _, ok := records[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		mirror, err := b.e.Store.Mirror(ctx, b.r.ws.ID, missing)
		if err != nil {
			return fmt.Errorf("mirror: %w", err)
		}
		var stillMissing []string
		for _, id := range missing {
			if rec, ok := mirror[id]; ok {
				records[id] = rec
			} else {
				stillMissing = append(stillMissing, id)
			}
		}
		if len(stillMissing) > 0 {
			live, err := b.r.src.GetContacts(ctx, stillMissing, b.fields.SalesforceFields())
			if err != nil {
				return fmt.Errorf("read matched contacts: %w", err)
			}
			for id, rec := range live {
				records[id] = rec
			}
		}
	}
	taken := map[string]int64{}
	for _, m := range matches {
		if l, ok := links[m.sfID]; ok && l.ContactID != m.c.Contact.ID {
			b.fail(m.c, m.sfID, fmt.Sprintf("the matching Salesforce contact is already linked to contact %d", l.ContactID))
			continue
		}
		if other, ok := taken[m.sfID]; ok {
			b.fail(m.c, m.sfID, fmt.Sprintf("the matching Salesforce contact is being linked to contact %d", other))
			continue
		}
		rec, ok := records[m.sfID]
		if !ok {
			b.retry(m.c, "matching Salesforce contact "+m.sfID+" could not be read")
			continue
		}
		taken[m.sfID] = m.c.Contact.ID
		method, matchedBy := LinkEmail, "email"
		switch m.keyBy {
		case "phone":
			method, matchedBy = LinkPhone, "phone"
		case "duplicate_rule":
			method, matchedBy = LinkEmail, "salesforce_id"
		}
		l := &Link{WorkspaceID: b.r.ws.ID, ContactID: m.c.Contact.ID, SalesforceID: m.sfID, Method: method, Base: b.baseOf(rec.Fields)}
		b.done(m.c, l)
		b.linked++
		reason := "existing Salesforce contact with the same key; linked instead of creating"
		if m.keyBy == "duplicate_rule" {
			reason = "Salesforce duplicate rule named this record; linked instead of creating"
		}
		b.event(m.c, m.sfID, DecisionLinked, matchedBy, reason)
	}
	return nil
}

// newRecord is the Salesforce Contact to create for a local contact: every
// mapped field with a value, whatever its direction (a pull-only field such
// as Email is only ever written here, when there is nothing to overwrite), and
// the placeholder last name when the contact has none.
func (b *pushBatch) newRecord(c *Contact) map[string]string {
	rec := map[string]string{}
	for _, m := range b.fields {
		if v := c.Get(m.Local); v != "" {
			rec[m.Salesforce] = v
		}
	}
	if rec[requiredField] == "" {
		rec[requiredField] = placeholderName
	}
	return rec
}

// baseOf returns the mapped fields of a Salesforce record's values, the
// agreed values of a new link ("" for fields without a value).
func (b *pushBatch) baseOf(fields map[string]string) map[string]string {
	base := make(map[string]string, len(b.fields))
	for _, m := range b.fields {
		base[m.Salesforce] = fields[m.Salesforce]
	}
	return base
}

// candidates returns the distinct Salesforce ids sharing any of keys, and for
// each the kind of the first key that found it.
func candidates(keys []Key, byKey map[Key][]string) ([]string, map[string]string) {
	var ids []string
	by := map[string]string{}
	for _, k := range keys {
		for _, id := range byKey[k] {
			if _, ok := by[id]; !ok {
				by[id] = string(k.Kind)
				ids = append(ids, id)
			}
		}
	}
	return ids, by
}

// sharesKey reports whether one of keys was already claimed by another
// contact of the batch, claiming them for contact otherwise.
func sharesKey(keys []Key, claimed map[Key]int64, contact int64) (int64, bool) {
	for _, k := range keys {
		if other, ok := claimed[k]; ok && other != contact {
			return other, true
		}
	}
	for _, k := range keys {
		claimed[k] = contact
	}
	return 0, false
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
