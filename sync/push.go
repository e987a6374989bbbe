package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Push tuning. See "Push" in doc.go for the reasoning.
const (
	// maxPushBatch is the sObject Collections limit: 200 records a call.
	maxPushBatch = 200
	// pushPassLimit caps the outbox items one pass handles, so a workspace
	// with a huge outbox does not hold its lease (and the scheduler) for
	// long; the rest waits for the next pass.
	pushPassLimit = 10_000
	// retryBase and retryMax bound the exponential backoff of transient
	// failures: 1s, 2s, 4s, … up to 30 minutes, with jitter.
	retryBase = time.Second
	retryMax  = 30 * time.Minute
	// maxPushAttempts turns a record that keeps failing transiently into a
	// visible failure instead of retrying it forever (about 9 hours).
	maxPushAttempts = 16
	// goneAttempts is how many times an update to a record Salesforce says
	// no longer exists is retried (leaving time for the pull to unlink it or
	// re-point it to the merge survivor) before the item is failed.
	goneAttempts = 3
	// placeholderName fills required name fields a local contact lacks, as
	// Salesforce's own Web-to-Lead does.
	placeholderName = "[not provided]"
	// requiredField is the Contact field Salesforce refuses to leave empty.
	requiredField = "LastName"
)

// push drains the workspace's outbox to Salesforce: it claims due items in
// batches of PushBatch, pushes each batch with one sObject Collections call
// (creates and updates separately), records every outcome and audits every
// decision. It stops when no item is due, after pushPassLimit items, or on an
// error that concerns the whole connection (budget, auth, lease), leaving the
// unpushed items pending.
func (e *Engine) push(ctx context.Context, r *run) error {
	batch := e.PushBatch
	if batch <= 0 || batch > maxPushBatch {
		batch = maxPushBatch
	}
	// A claim outlives a crashed pusher by the lease's TTL: by then the
	// lease is free too and whoever takes it may redo the items.
	visibility := e.LeaseTTL
	if visibility <= 0 {
		visibility = 2 * time.Minute
	}
	e.hook("push:start")
	for handled := 0; handled < pushPassLimit; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.renewLease(ctx, r); err != nil {
			return err
		}
		if r.src.Usage().Paused {
			// Over the budget threshold: leave the outbox untouched
			// rather than claim items only to have the writes refused.
			return fmt.Errorf("push paused: %w", ErrRateLimited)
		}
		claimed, err := e.Store.ClaimOutbox(ctx, r.ws.ID, min(batch, pushPassLimit-handled), visibility)
		if err != nil {
			return fmt.Errorf("claim outbox: %w", err)
		}
		if len(claimed) == 0 {
			return nil
		}
		e.hook("push:claimed")
		b := e.newPushBatch(r, claimed)
		callErr := b.run(ctx)
		if callErr != nil {
			// The call failed as a whole: nothing in the batch was decided
			// by Salesforce. Put the undecided items back.
			b.deferRest(callErr)
		}
		e.hook("push:sent")
		if err := e.completeOutbox(ctx, r, b.results); err != nil {
			return err
		}
		e.hook("push:completed")
		// Audit only what was committed: a crash before this point redoes
		// the batch, and its decisions are audited then.
		for _, ev := range b.events {
			e.audit(ctx, r, ev)
		}
		r.summary.Pushed += b.pushed
		r.summary.Failed += b.failed
		r.summary.Linked += b.linked
		if callErr != nil {
			return callErr
		}
		handled += len(claimed)
	}
	return nil
}

// renewLease extends the pass's lease before each page or push batch, so a
// long pass keeps it, and stops the pass when another process took it over
// (CommitPage checks it again inside its transaction).
func (e *Engine) renewLease(ctx context.Context, r *run) error {
	if r.lease.Holder == "" {
		return nil
	}
	l, err := e.Store.RenewLease(ctx, r.lease, e.LeaseTTL)
	if err != nil {
		return fmt.Errorf("renew lease: %w", err)
	}
	r.lease = l
	return nil
}

// completeOutbox records a batch's results. Should the batch conflict with a
// concurrent write (a link made meanwhile by someone else, for example), the
// results are recorded one by one and the conflicting ones retried later,
// so one bad item cannot wedge the queue.
func (e *Engine) completeOutbox(ctx context.Context, r *run, results []OutboxResult) error {
	if len(results) == 0 {
		return nil
	}
	err := e.Store.CompleteOutbox(ctx, r.ws.ID, results)
	if !errors.Is(err, ErrConflict) {
		if err != nil {
			return fmt.Errorf("complete outbox: %w", err)
		}
		return nil
	}
	for _, res := range results {
		err := e.Store.CompleteOutbox(ctx, r.ws.ID, []OutboxResult{res})
		if errors.Is(err, ErrConflict) {
			res.Outcome, res.Link = OutcomeRetry, nil
			res.Error = "saving the link conflicted with a concurrent change: " + err.Error()
			res.NextAttemptAt = e.now().Add(retryBase)
			err = e.Store.CompleteOutbox(ctx, r.ws.ID, []OutboxResult{res})
		}
		if err != nil {
			return fmt.Errorf("complete outbox item %d: %w", res.ItemID, err)
		}
	}
	return nil
}

// pushBatch is one claimed batch on its way to Salesforce.
type pushBatch struct {
	e      *Engine
	r      *run
	fields FieldMap
	items  []Claimed
	// decided marks the items that have a result.
	decided map[int64]bool
	results []OutboxResult
	events  []AuditEvent
	pushed  int
	failed  int
	linked  int
}

func (e *Engine) newPushBatch(r *run, items []Claimed) *pushBatch {
	return &pushBatch{e: e, r: r, fields: e.fieldMap(), items: items, decided: make(map[int64]bool, len(items))}
}

// run decides every item of the batch. It returns an error only for a
// failure of a whole call; items decided before it keep their results.
func (b *pushBatch) run(ctx context.Context) error {
	var updates, creates []*Claimed
	for i := range b.items {
		c := &b.items[i]
		switch {
		case c.Link != nil:
			// A create whose contact got linked meanwhile (by the pull,
			// or by an earlier attempt that crashed before completing) is
			// an update now.
			updates = append(updates, c)
		case c.Item.Op == OutboxCreate:
			creates = append(creates, c)
		default:
			// An update of a contact that is no longer linked: the pull
			// unlinked it (record deleted in Salesforce). Nothing to push.
			b.done(c, nil)
			b.event(c, "", DecisionSkipped, "", "contact is not linked to a Salesforce contact")
		}
	}
	if err := b.pushUpdates(ctx, updates); err != nil {
		return err
	}
	return b.pushCreates(ctx, creates)
}

// pushUpdates pushes the linked contacts' changed fields with one
// Collections update call, after checking them against Salesforce's live
// values.
func (b *pushBatch) pushUpdates(ctx context.Context, items []*Claimed) error {
	type pending struct {
		c    *Claimed
		diff map[string]string
		base map[string]string
	}
	var todo []pending
	var ids []string
	fieldSet := map[string]bool{}
	for _, c := range items {
		diff := b.diff(c)
		if len(diff) == 0 {
			b.done(c, nil)
			continue
		}
		todo = append(todo, pending{c: c, diff: diff, base: cloneBase(c.Link.Base)})
		ids = append(ids, c.Link.SalesforceID)
		for f := range diff {
			fieldSet[f] = true
		}
	}
	if len(todo) == 0 {
		return nil
	}
	// A field changed in Salesforce since the base is a conflict. The
	// pull ran just before, in this pass, so the mirror holds Salesforce's
	// values as of seconds ago: check against it, and spend one call per
	// batch (the write) instead of two. A live read would not close the
	// race either (Collections has no conditional update); see "Push
	// conflicts" in doc.go.
	current, err := b.remoteValues(ctx, ids, slices.Sorted(maps.Keys(fieldSet)))
	if err != nil {
		return err
	}
	var sent []pending
	var updates []RecordUpdate
	for _, p := range todo {
		sfID := p.c.Link.SalesforceID
		rec, ok := current[sfID]
		if !ok {
			b.gone(p.c)
			continue
		}
		var conflicts, overwritten []string
		for _, f := range slices.Sorted(maps.Keys(p.diff)) {
			local, remote := p.diff[f], rec.Fields[f]
			// A value an unrecorded earlier push sent is ours, not a
			// change made in Salesforce.
			p.base[f] = EchoBase(p.base[f], remote, p.c.Link.Pending[f])
			switch {
			case remote == local:
				// Both sides already agree (an identical edit on both):
				// record the agreement, nothing to send.
				p.base[f] = local
				delete(p.diff, f)
			case remote != p.base[f] && b.r.ws.Settings.ConflictPolicy != LocalWins:
				conflicts = append(conflicts, f)
				delete(p.diff, f)
			case remote != p.base[f]:
				overwritten = append(overwritten, f)
			}
		}
		if len(conflicts) > 0 {
			// Salesforce wins: the field is left alone here, and the next
			// pull, seeing both sides changed, applies Salesforce's value
			// locally under the same policy.
			b.event(p.c, sfID, DecisionConflict, "", "changed in Salesforce since last sync, Salesforce wins: "+strings.Join(conflicts, ","))
		}
		if len(overwritten) > 0 {
			b.event(p.c, sfID, DecisionConflict, "", "changed in Salesforce since last sync, local wins: "+strings.Join(overwritten, ","))
		}
		if len(p.diff) == 0 {
			b.done(p.c, withBase(p.c.Link, p.base))
			continue
		}
		sent = append(sent, p)
		updates = append(updates, RecordUpdate{ID: sfID, Fields: p.diff})
	}
	if len(updates) == 0 {
		return nil
	}
	// Record what is about to be sent before sending it: should the
	// process die after Salesforce applied the update but before the
	// results are completed, the next pull recognises these values as our
	// own echo (Link.Pending) rather than as Salesforce changes that would
	// overwrite newer local edits.
	marks := make([]PendingPush, len(sent))
	for i, p := range sent {
		marks[i] = PendingPush{ContactID: p.c.Contact.ID, SalesforceID: p.c.Link.SalesforceID, Fields: p.diff}
	}
	if err := b.e.Store.MarkPushing(ctx, b.r.ws.ID, marks); err != nil {
		return fmt.Errorf("mark pushing: %w", err)
	}
	b.e.hook("push:update")
	res, err := b.r.src.UpdateContacts(ctx, updates)
	if err != nil {
		return fmt.Errorf("update contacts: %w", err)
	}
	if len(res) != len(updates) {
		return fmt.Errorf("update contacts: %d results for %d records", len(res), len(updates))
	}
	for i, p := range sent {
		werr := res[i].Err
		switch {
		case werr == nil:
			sfID := p.c.Link.SalesforceID
			if b.r.pushed == nil {
				b.r.pushed = map[string]map[string]string{}
			}
			if b.r.pushed[sfID] == nil {
				b.r.pushed[sfID] = map[string]string{}
			}
			for f, v := range p.diff {
				p.base[f] = v
				b.r.pushed[sfID][f] = v
			}
			b.done(p.c, withBase(p.c.Link, p.base))
			b.pushed++
			b.event(p.c, p.c.Link.SalesforceID, DecisionPushed, "", "updated "+strings.Join(slices.Sorted(maps.Keys(p.diff)), ","))
		case errors.Is(werr, ErrNotFound):
			b.gone(p.c)
		default:
			b.writeFailed(p.c, p.c.Link.SalesforceID, werr)
		}
	}
	return nil
}

// remoteValues returns Salesforce's values of the records to update, from
// the mirror. Records the mirror lacks (linked by hand before any pull saw
// them) are read live, in one call; records the mirror has as deleted or
// merged are left out, like records Salesforce no longer has.
func (b *pushBatch) remoteValues(ctx context.Context, ids, fields []string) (map[string]SalesforceContact, error) {
	mirror, err := b.e.Store.Mirror(ctx, b.r.ws.ID, ids)
	if err != nil {
		return nil, fmt.Errorf("read mirror before update: %w", err)
	}
	out := make(map[string]SalesforceContact, len(ids))
	var missing []string
	for _, id := range ids {
		m, ok := mirror[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case !m.IsDeleted && m.MasterRecordID == "":
			if w := b.r.pushed[id]; len(w) > 0 {
				// This pass wrote these values after the pull read
				// the record (another batch of the same contact).
				m.Fields = cloneBase(m.Fields)
				for f, v := range w {
					m.Fields[f] = v
				}
			}
			out[id] = m
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	live, err := b.r.src.GetContacts(ctx, missing, fields)
	if err != nil {
		return nil, fmt.Errorf("read contacts before update: %w", err)
	}
	for id, rec := range live {
		out[id] = rec
	}
	return out, nil
}

// diff returns the mapped fields the contact changed since the link's base
// and the mapping lets us push, by Salesforce field name.
func (b *pushBatch) diff(c *Claimed) map[string]string {
	out := map[string]string{}
	for _, m := range b.fields {
		if !m.Direction.Pushes() {
			continue
		}
		v := c.Contact.Get(m.Local)
		if v == c.Link.Base[m.Salesforce] {
			continue
		}
		if v == "" && m.Salesforce == requiredField {
			// Salesforce refuses an empty LastName; a cleared local last
			// name stays as it is there.
			continue
		}
		out[m.Salesforce] = v
	}
	return out
}

// gone handles an update to a record Salesforce no longer has (deleted, or
// merged into another). The pull sees the deletion through queryAll and
// unlinks the contact, or re-points the link to the merge survivor, so the
// item is retried after it has had the chance: then it is pushed to the
// survivor, or found unlinked and dropped. Should neither happen (a record
// purged from the recycle bin never shows up in queryAll), the item fails
// visibly after goneAttempts.
func (b *pushBatch) gone(c *Claimed) {
	const reason = "record deleted or merged in Salesforce"
	if c.Item.Attempts >= goneAttempts {
		b.fail(c, c.Link.SalesforceID, reason)
		return
	}
	b.retry(c, reason+"; waiting for the pull to unlink or re-point it")
}

// writeFailed records a per-record write error: transient ones are retried
// with backoff, permanent ones fail the item.
func (b *pushBatch) writeFailed(c *Claimed, sfID string, err error) {
	if IsTemporary(err) && c.Item.Attempts < maxPushAttempts {
		b.retry(c, err.Error())
		return
	}
	b.fail(c, sfID, err.Error())
}

func (b *pushBatch) done(c *Claimed, l *Link) {
	b.decided[c.Item.ID] = true
	b.results = append(b.results, OutboxResult{ItemID: c.Item.ID, Seq: c.Item.Seq, Outcome: OutcomeDone, Link: l})
}

func (b *pushBatch) retry(c *Claimed, reason string) {
	b.decided[c.Item.ID] = true
	b.results = append(b.results, OutboxResult{
		ItemID: c.Item.ID, Seq: c.Item.Seq, Outcome: OutcomeRetry,
		NextAttemptAt: b.e.now().Add(Backoff(c.Item.Attempts - 1)), Error: reason,
	})
}

func (b *pushBatch) fail(c *Claimed, sfID, reason string) {
	b.decided[c.Item.ID] = true
	b.results = append(b.results, OutboxResult{ItemID: c.Item.ID, Seq: c.Item.Seq, Outcome: OutcomeFailed, Error: reason})
	b.failed++
	b.event(c, sfID, DecisionPushFailed, "", reason)
}

// deferRest puts back the items without a result after a call failed as a
// whole. After budget, auth and API-access errors the items are due again at
// once (the pass stops, and the next one only pushes once the connection
// works); after other errors they back off like a transient record error.
// Claiming counted the attempt either way.
func (b *pushBatch) deferRest(err error) {
	connection := errors.Is(err, ErrRateLimited) || errors.Is(err, ErrReauthRequired) ||
		errors.Is(err, ErrAPIDisabled) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	for i := range b.items {
		c := &b.items[i]
		if b.decided[c.Item.ID] {
			continue
		}
		var next time.Time // zero: due now
		if !connection {
			next = b.e.now().Add(Backoff(c.Item.Attempts - 1))
		}
		b.decided[c.Item.ID] = true
		b.results = append(b.results, OutboxResult{
			ItemID: c.Item.ID, Seq: c.Item.Seq, Outcome: OutcomeRetry, NextAttemptAt: next, Error: err.Error(),
		})
	}
}

// event queues an audit event about c, written once the batch's results are
// committed.
func (b *pushBatch) event(c *Claimed, sfID string, d Decision, matchedBy, reason string) {
	b.events = append(b.events, AuditEvent{
		Direction:    AuditPush,
		SalesforceID: sfID,
		ContactID:    c.Contact.ID,
		Decision:     d,
		MatchedBy:    matchedBy,
		Reason:       reason,
		Email:        c.Contact.Email,
		Phone:        cmp.Or(c.Contact.Phone, c.Contact.MobilePhone),
	})
}

// Backoff returns how long to wait before retrying an item that failed
// transiently after attempts earlier failures: exponential from one second,
// capped at 30 minutes, with "equal jitter" (between half and all of it) so
// items that failed together do not retry together.
func Backoff(attempts int) time.Duration {
	d := retryMax
	attempts = max(attempts, 0)
	if attempts < 30 {
		d = min(retryBase<<attempts, retryMax)
	}
	half := d / 2
	return half + rand.N(half+1)
}

// withBase returns l with a new base. Pending pushed values of the fields
// whose base is now known (those agreed or pushed, where base differs from
// the link's old one or was confirmed) are dropped; the others stay, as
// Salesforce may still hold them.
func withBase(l *Link, base map[string]string) *Link {
	nl := *l
	nl.Base = base
	nl.Pending = withoutPending(l.Pending, func(f string) bool {
		v, ok := base[f]
		return ok && (v != l.Base[f] || slices.Contains(l.Pending[f], v))
	})
	return &nl
}

// cloneBase copies a base; the copy is never nil, so it can be written to.
func cloneBase(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}
