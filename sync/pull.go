package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	gosync "sync"
)

// maxPageAttempts bounds how often a page is redone after ErrConflict before
// the pass gives up (the next pass starts from the same cursor).
const maxPageAttempts = 4

// keyFields are the Salesforce fields match keys are derived from.
var keyFields = []string{FieldEmail, FieldPhone, FieldMobilePhone, FieldHomePhone, FieldOtherPhone}

// fieldMap returns the engine's field mapping.
func (e *Engine) fieldMap() FieldMap {
	if e.Fields == nil {
		return DefaultFieldMap()
	}
	return e.Fields
}

func (e *Engine) bulkThreshold() int {
	switch {
	case e.BulkThreshold == 0:
		return DefaultBulkThreshold
	case e.BulkThreshold < 0:
		return 0
	}
	return e.BulkThreshold
}

func (e *Engine) pageSize() int {
	if e.PageSize <= 0 || e.PageSize > 2000 {
		return 2000
	}
	return e.PageSize
}

// queryFields returns the fields to read besides the system ones: the mapped
// fields, the fields keys come from and the bulk marker field.
func (e *Engine) queryFields() []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if f != "" && !seen[strings.ToLower(f)] {
			seen[strings.ToLower(f)] = true
			out = append(out, f)
		}
	}
	for _, f := range e.fieldMap() {
		add(f.Salesforce)
	}
	for _, f := range keyFields {
		add(f)
	}
	add(e.Marker.Field)
	return out
}

// puller is the state of the pull step of one pass.
type puller struct {
	e      *Engine
	r      *run
	fields FieldMap
	bulk   *bulkDetector
	// cursor is the workspace's committed cursor.
	cursor   Cursor
	backfill bool
}

// pull reads Salesforce changes since the cursor and applies them page by
// page; with Options.Backfill it then reads the whole org again, without
// moving the cursor, to import records created before auto-create was
// switched on. See the package documentation.
func (e *Engine) pull(ctx context.Context, r *run) error {
	cur, err := e.Store.Cursor(ctx, r.ws.ID)
	if err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	p := &puller{
		e:      e,
		r:      r,
		fields: e.fieldMap(),
		bulk:   newBulkDetector(r.ws.ID, r.ws.Settings.BulkImportMinGroup, e.Marker, e.Store, r.src),
		cursor: cur,
	}
	if err := p.stream(ctx, cur); err != nil {
		return err
	}
	if r.opts.Backfill {
		p.backfill = true
		return p.stream(ctx, Cursor{})
	}
	return nil
}

// stream reads the changes after since, page by page. From a zero cursor
// the source may use a bulk job (unordered pages that keep the cursor, then
// the job's snapshot time as the final cursor).
func (p *puller) stream(ctx context.Context, since Cursor) error {
	q := ChangesQuery{Since: since, Overlap: p.e.Overlap, Fields: p.e.queryFields(), PageSize: p.e.pageSize()}
	if since.SystemModstamp.IsZero() {
		q.BulkThreshold = p.e.bulkThreshold()
	}
	return p.r.src.Changes(ctx, q, func(page ChangesPage) error {
		p.e.hook("pull.page")
		if err := p.e.renewLease(ctx, p.r); err != nil {
			return err
		}
		return p.page(ctx, page)
	})
}

// page applies one page of records, redoing it when the commit loses a race.
func (p *puller) page(ctx context.Context, cp ChangesPage) error {
	raw := cp.Records
	recs := make([]*SalesforceContact, 0, len(raw))
	next := p.cursor
	// An unordered page says where the cursor stands; it never moves back,
	// and a backfill never moves it.
	ordered := cp.Cursor == nil
	if !ordered && !p.backfill && next.Less(*cp.Cursor) {
		next = *cp.Cursor
	}
	for i := range raw {
		rec := &raw[i]
		if !validRecordID(rec.ID) {
			// A bad record is recorded and skipped; the rest go on.
			p.r.summary.Pulled++
			p.r.summary.Skipped++
			p.e.audit(ctx, p.r, AuditEvent{Direction: AuditPull, SalesforceID: rec.ID,
				Decision: DecisionSkipped, Reason: ReasonMissingID,
				Email: rec.Fields[FieldEmail], Phone: rec.Fields[FieldPhone]})
			continue
		}
		recs = append(recs, rec)
		if c := CursorOf(rec); ordered && !p.backfill && next.Less(c) {
			next = c
		}
	}
	full := len(raw) >= p.e.pageSize()
	for attempt := 1; ; attempt++ {
		stale, err := p.tryPage(ctx, recs, next, full)
		if err == nil {
			p.cursor = next
			return nil
		}
		if !errors.Is(err, ErrConflict) || attempt == maxPageAttempts {
			return err
		}
		p.e.Logger.Info("page lost a race; redoing it", "workspace", p.r.ws.ID, "attempt", attempt, "err", err)
		p.e.Matcher.Invalidate(p.r.ws.ID, stale)
	}
}

// validRecordID accepts 15- and 18-character alphanumeric ids.
func validRecordID(id string) bool {
	if len(id) != 18 && len(id) != 15 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// pageLookups is what the store says about one page.
type pageLookups struct {
	mirror map[string]SalesforceContact
	links  map[string]Link
}

// tryPage reads what the page needs, decides, and commits. It returns the
// keys to invalidate when the commit fails with ErrConflict.
func (p *puller) tryPage(ctx context.Context, recs []*SalesforceContact, next Cursor, full bool) ([]Key, error) {
	e, r, ws := p.e, p.r, p.r.ws.ID
	ids := make([]string, 0, len(recs))
	linkIDs := make([]string, 0, len(recs))
	for _, rec := range recs {
		ids = append(ids, rec.ID)
		linkIDs = append(linkIDs, rec.ID)
		if rec.MasterRecordID != "" {
			linkIDs = append(linkIDs, rec.MasterRecordID)
		}
	}
	mirror, err := e.Store.Mirror(ctx, ws, ids)
	if err != nil {
		return nil, fmt.Errorf("read mirror: %w", err)
	}
	links, err := e.Store.LinksBySalesforceID(ctx, ws, linkIDs)
	if err != nil {
		return nil, fmt.Errorf("read links: %w", err)
	}

	// De-duplicate the overlap window: a record mirrored at the same stamp
	// and with the same values was decided by the commit that mirrored it.
	// (Stamps have one-second resolution: a record changed twice within a
	// second keeps its stamp, so the values are compared too.) A backfill
	// re-decides records that are neither linked nor deleted.
	fields := e.queryFields()
	todo := make([]*SalesforceContact, 0, len(recs))
	for _, rec := range recs {
		m, ok := mirror[rec.ID]
		if ok && sameVersion(&m, rec, fields) {
			if _, linked := links[rec.ID]; !p.backfill || linked || rec.IsDeleted {
				continue
			}
		}
		todo = append(todo, rec)
	}
	if len(todo) == 0 {
		if next == p.cursor || r.opts.DryRun {
			return nil, nil
		}
		_, err := e.Store.CommitPage(ctx, ws, Page{Lease: r.lease, Cursor: next})
		return nil, err
	}

	region := r.ws.Settings.PhoneRegion
	normalizeKeys(todo, mirror, region)

	// One match lookup for the page: keys of live, unlinked records.
	var keys []Key
	for _, rec := range todo {
		if _, linked := links[rec.ID]; !linked && !rec.IsDeleted {
			keys = append(keys, rec.Keys...)
		}
	}
	matches, err := e.Matcher.MatchPage(ctx, ws, keys)
	if err != nil {
		return nil, fmt.Errorf("match keys: %w", err)
	}
	var contactIDs, matchedIDs []int64
	for _, l := range links {
		contactIDs = append(contactIDs, l.ContactID)
	}
	for _, cids := range matches {
		matchedIDs = append(matchedIDs, cids...)
	}
	contactIDs = append(contactIDs, matchedIDs...)
	slices.Sort(contactIDs)
	contactIDs = slices.Compact(contactIDs)
	contacts, err := e.Store.ContactsByID(ctx, ws, contactIDs)
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	contactLinks := map[int64]Link{}
	if len(matchedIDs) > 0 {
		slices.Sort(matchedIDs)
		if contactLinks, err = e.Store.LinksByContact(ctx, ws, slices.Compact(matchedIDs)); err != nil {
			return nil, fmt.Errorf("read links of matched contacts: %w", err)
		}
	}

	d := newDecider(ws, r.ws.Settings, p.fields, p.backfill)
	d.links, d.contacts, d.contactLinks, d.matches = links, contacts, contactLinks, matches

	// Bulk-import verdicts matter for records that may be auto-created.
	need := func(rec *SalesforceContact) bool {
		if _, linked := links[rec.ID]; linked || rec.IsDeleted || len(rec.Keys) == 0 || !d.settings.AutoCreate {
			return false
		}
		if !p.backfill && createdBefore(rec.CreatedDate, d.settings.AutoCreateSince) {
			return false
		}
		for _, k := range rec.Keys {
			if len(matches[k]) > 0 {
				return false
			}
		}
		return true
	}
	mirrored := func(rec *SalesforceContact) bool { _, ok := mirror[rec.ID]; return ok }
	if err := p.bulk.mark(ctx, todo, full, need, mirrored); err != nil {
		return nil, err
	}
	for _, rec := range todo {
		if m, ok := mirror[rec.ID]; ok && m.BulkImported {
			rec.BulkImported = true
		}
	}

	// Deletions first: a merge re-points a link before the master record,
	// which may be in the same page, is decided.
	order := make([]*SalesforceContact, 0, len(todo))
	for _, rec := range todo {
		if rec.IsDeleted {
			order = append(order, rec)
		}
	}
	for _, rec := range todo {
		if !rec.IsDeleted {
			order = append(order, rec)
		}
	}
	pg := Page{Lease: r.lease, Cursor: next, Mirror: make([]SalesforceContact, 0, len(todo))}
	outs := make([]outcome, len(order))
	var stale []Key
	for i, rec := range order {
		pg.Mirror = append(pg.Mirror, *rec)
		out := d.decide(rec)
		outs[i] = out
		stale = append(stale, rec.Keys...)
		switch {
		case out.Create != nil:
			pg.Creates = append(pg.Creates, *out.Create)
		case out.Link != nil:
			pg.Links = append(pg.Links, *out.Link)
		case out.Unlink != "":
			pg.Unlinks = append(pg.Unlinks, out.Unlink)
		case out.Relink != nil:
			pg.Relinks = append(pg.Relinks, *out.Relink)
		}
		if out.Update != nil {
			pg.Updates = append(pg.Updates, *out.Update)
		}
	}
	// Keys contacts gained or lost in this page are stale too (the
	// decider's contacts already hold the new values, so only it knows the
	// old keys).
	stale = append(stale, d.changedKeys()...)
	var created []int64
	if !r.opts.DryRun {
		e.hook("pull.commit")
		created, err = e.Store.CommitPage(ctx, ws, pg)
		if err != nil {
			return stale, fmt.Errorf("commit page: %w", err)
		}
		// New contacts and changed keys make cached answers stale.
		e.Matcher.Invalidate(ws, stale)
	}
	p.report(ctx, order, outs, created)
	return nil, nil
}

// report audits the page's decisions and counts them in the run summary,
// once the page is committed (or, in a dry run, decided).
func (p *puller) report(ctx context.Context, recs []*SalesforceContact, outs []outcome, created []int64) {
	s := &p.r.summary
	n := 0
	for i, out := range outs {
		rec := recs[i]
		if out.Create != nil {
			if n < len(created) {
				out.ContactID = created[n]
			}
			n++
		}
		s.Pulled++
		switch out.Decision {
		case DecisionCreated:
			s.Created++
		case DecisionLinked, DecisionRelinked:
			s.Linked++
		case DecisionUpdated:
			s.Updated++
		case DecisionAmbiguous:
			s.Ambiguous++
		case DecisionSkipped:
			s.Skipped++
		case DecisionUnlinked:
			s.Unlinked++
		}
		ev := AuditEvent{Direction: AuditPull, SalesforceID: rec.ID, ContactID: out.ContactID,
			MatchedBy: out.MatchedBy, Email: rec.Fields[FieldEmail], Phone: cmp.Or(rec.Fields[FieldPhone], rec.Fields[FieldMobilePhone])}
		for _, f := range out.Conflicts {
			c := ev
			c.Decision = DecisionConflict
			c.Reason = fmt.Sprintf(reasonConflictFieldFmt, f, p.conflictWinner(f))
			p.e.audit(ctx, p.r, c)
		}
		ev.Decision, ev.Reason = out.Decision, out.Reason
		if p.r.opts.DryRun {
			ev.Reason = strings.TrimSpace(ev.Reason + " (dry run)")
		}
		p.e.audit(ctx, p.r, ev)
	}
}

// conflictWinner names the side whose value a conflicting field kept.
func (p *puller) conflictWinner(sfField string) string {
	for _, f := range p.fields {
		if f.Salesforce == sfField && f.Direction.Pushes() && p.r.ws.Settings.ConflictPolicy == LocalWins {
			return string(LocalWins)
		}
	}
	return string(SalesforceWins)
}

// normalizeKeys sets the match keys of recs. A record whose email and phone
// values are the ones mirrored reuses the mirror's keys (libphonenumber costs
// tens of microseconds a number); the others are normalized on all cores.
func normalizeKeys(recs []*SalesforceContact, mirror map[string]SalesforceContact, region string) {
	var work []*SalesforceContact
	for _, rec := range recs {
		if m, ok := mirror[rec.ID]; ok && sameKeyFields(&m, rec) {
			rec.Keys = m.Keys
			continue
		}
		work = append(work, rec)
	}
	workers := min(runtime.GOMAXPROCS(0), len(work)/64+1)
	if workers <= 1 {
		for _, rec := range work {
			rec.Keys = rec.MatchKeys(region)
		}
		return
	}
	var wg gosync.WaitGroup
	for chunk := range slices.Chunk(work, (len(work)+workers-1)/workers) {
		wg.Go(func() {
			for _, rec := range chunk {
				rec.Keys = rec.MatchKeys(region)
			}
		})
	}
	wg.Wait()
}

func sameKeyFields(a, b *SalesforceContact) bool {
	for _, f := range keyFields {
		if a.Fields[f] != b.Fields[f] {
			return false
		}
	}
	return true
}

// sameVersion reports whether the mirrored row m is the record rec as read:
// same stamp, same deletion state and same values of the queried fields.
func sameVersion(m, rec *SalesforceContact, fields []string) bool {
	if !m.SystemModstamp.Equal(rec.SystemModstamp) || m.IsDeleted != rec.IsDeleted || m.MasterRecordID != rec.MasterRecordID {
		return false
	}
	for _, f := range fields {
		if m.Fields[f] != rec.Fields[f] {
			return false
		}
	}
	return true
}
