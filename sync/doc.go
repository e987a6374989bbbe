// Package sync is the domain of contactsync: the types that describe a
// workspace's contact book and its view of a Salesforce org, the interfaces
// the engine needs from storage (Store) and from Salesforce (Source), and the
// engine itself (pull, match, push, audit).
//
// It imports no other package of this module and no database, OAuth or HTTP
// client; store/ and sources/salesforce/ implement its interfaces and
// cmd/contactsync wires them together. Importers alias it where the standard
// library's sync is also needed:
//
//	import contactsync "github.com/contactsync/contactsync/sync"
//
// # Model
//
// A Workspace is one tenant. It owns its Settings, its local Contacts, at most
// one Salesforce Connection, the mirror of every Salesforce Contact it has
// seen (SalesforceContact), the Links between the two, an outbox of local
// changes waiting to be pushed (OutboxItem) and a Cursor that says how far the
// pull has read.
//
// Contacts are matched by normalized Keys: a phone number in E.164 form (see
// NormalizePhone) or a bare, lower-cased email address with a punycode domain
// (see NormalizeEmail). Raw values are always kept as entered; keys are derived
// from them and never shown to people.
//
// # Links and the base
//
// A Link joins one local contact to one Salesforce Contact; the store enforces
// at most one link per Salesforce id and per contact in a workspace. A link
// carries Base: the field values both sides last agreed on. Base is what makes
// three-way merges possible (a field that differs from the base was changed on
// that side) and what recognises our own writes when Salesforce echoes them
// back (the remote value equals the base: nothing changed).
//
// # Tags
//
// Tags are free-form labels on a contact. System tags, such as
// TagAutoCreatedSalesforce, are added by contactsync and can never be removed
// or renamed: the store refuses with ErrSystemTag.//
// # Cursor
//
// The pull reads Contacts in (SystemModstamp, Id) order through
// Source.Changes (queryAll, so deleted and merged-away records arrive too),
// PageSize records a page, streamed: only one page is in memory. The Cursor is
// the (SystemModstamp, Id) of the last record of the last committed page and
// is saved by Store.CommitPage in the same transaction as the page's effects,
// so it is never ahead of committed work: a crash between pages loses nothing
// and the page is redone.
//
// Each pass re-reads a short overlap window (Engine.Overlap) before the
// cursor, because Salesforce transactions can commit with a stamp slightly
// older than one already read. Re-read records are de-duplicated against the
// mirror: a record mirrored with the same SystemModstamp, deletion state and
// field values was decided by the commit that mirrored it and is skipped
// silently (not counted, not audited). Values are compared as well as the
// stamp because stamps have one-second resolution: a record changed twice in
// one second keeps its stamp.
//
// Per page, the engine makes a fixed number of store round trips whatever the
// page size: the mirror rows, the links of the page's ids (and of merge
// masters), one Matcher lookup for every key of the page's unlinked records,
// the contacts involved, the links of matched contacts, and CommitPage.
// Match keys are normalized on all cores, and reused from the mirror when a
// record's email and phone values did not change. The lease is renewed
// before each page; a pass that lost its lease stops before its next commit
// (CommitPage checks the lease again inside its transaction).
//
// # Bulk loads
//
// From a zero cursor (the first pass, and every backfill) the query carries
// Engine.BulkThreshold (default 10,000). The Salesforce source counts the
// org (one COUNT() call) and, above the threshold, reads it through a Bulk
// API 2.0 queryAll job: a handful of calls for any size instead of one per
// 2,000 records. Its results are unordered, so the cursor cannot advance
// page by page: each page is committed with the cursor unchanged and, once
// the job is read, the cursor becomes the job's createdDate (server time:
// the job's snapshot is taken after it) minus the overlap, in one commit.
// A crash mid-job redoes the whole job; pages already committed are
// de-duplicated against the mirror, so nothing is created twice. A job that
// fails, or that Salesforce refuses, before handing over any record falls
// back to the ordered REST path. Bulk pages come in Id order, which keeps
// the records of one import together, so bulk-import detection works as on
// the REST path.
//
// # Decisions
//
// Each record gets exactly one decision, audit-logged with its reason:
//
//   - linked: the record was already linked. Every pulled field is merged
//     three ways (see Conflict rules); the decision is updated when a local
//     value changed, otherwise skipped with reason no_changes (our own pushed
//     values coming back, the echo, end here).
//   - not linked, and exactly one local contact has one of its keys
//     (normalized email, E.164 phone): linked, matched_by email or phone.
//     Empty fields on either side are filled from the other; fields set on
//     both follow the conflict policy.
//   - ambiguous, with neither link nor create: the email and the phone match
//     different contacts, a key matches several contacts, the one match is
//     linked to another Salesforce record already, or a record earlier in
//     the same page was just created with the same key (the first creates the
//     contact and links it; the second cannot link to a contact that is
//     linked, so it is ambiguous, as it would be on any later pass).
//   - no match: created (Source salesforce, every mapped field from the
//     record, the system tag when AddTag, BulkImported) when AutoCreate is on,
//     the record was created at or after AutoCreateSince (compared to the
//     second, Salesforce's resolution) or this is a backfill, it has a key,
//     and it is not a bulk import or IncludeBulkImport is on. Otherwise
//     skipped with auto_create_off, created_before_auto_create, no_keys or
//     bulk_import_excluded.
//   - deleted: unlinked; the local contact stays. Merged (deleted with
//     MasterRecordId): relinked to the master, or unlinked when the master is
//     linked to another contact. Deletions are decided before the page's
//     live records so a master in the same page sees its new link. Relinks
//     count as linked in the run summary.
//   - a bad record (no valid Id) is skipped with reason missing_id; the rest
//     of the page goes on.
//
// Effects are written only when CommitPage succeeds, and audit lines and
// summary counts are produced only then, so a redone page is audited once.
// A dry run decides and audits (reasons end in "(dry run)") but writes
// nothing, takes no lease and records no run.
//
// # Conflict rules
//
// MergeField is a pure function of (base, local, remote), where base is the
// value both sides last agreed on (Link.Base):
//
//   - remote equals base: Salesforce did not change it; keep local. This is
//     also how our own pushed values are recognised (the pusher moved the base
//     to what it pushed).
//   - local equals base: only Salesforce changed it; take remote.
//   - both changed to the same value: agree.
//   - both changed differently: a conflict, audited per field. SalesforceWins
//     (the default) takes remote; LocalWins keeps local and queues the contact
//     for push (ContactUpdate.Push). A field that is not pushed (such as
//     email and phone by default) cannot win locally: remote is taken.
//
// The new base is always Salesforce's value, so a kept local value that
// differs from it is, for the pusher, a local change still to send.
//
// # Bulk imports
//
// Records sharing CreatedById and CreatedDate (to the second) in groups of at
// least Settings.BulkImportMinGroup are bulk-imported, as are records whose
// Engine.Marker field has the marker value. Verdicts are kept for the whole
// pass, so a group is judged once and its records on every page agree. A
// group reaching the threshold inside one page is bulk at once. A smaller
// group is only looked into when one of its records would otherwise be
// auto-created:
//
//   - if it is the last group of a full page, the next page may continue it:
//     Source.CountCreatedTogether asks Salesforce for the whole group (one
//     API call, at most one per page);
//   - otherwise it cannot continue past this page; the mirror's count
//     (Store.CountCreatedTogether: members seen on earlier pages and passes)
//     plus its unmirrored members in this page judge it.
//
// So a 500-record import whose first 5 records end a page is judged by its
// 500. A page shorter than PageSize is taken as the last one. A group whose
// members were edited after the import, and so are spread through the stamp
// order, is judged by the members seen so far.
//
// # Backfill
//
// Options.Backfill imports records created before auto-create was switched
// on. After the normal pull (which brings the cursor up to date), a second
// stream reads the org from the beginning under the same rules except the
// AutoCreateSince check. It commits its pages with the cursor unchanged, so
// the cursor never moves backwards; records it mirrors with newer stamps are
// de-duplicated by the next normal pull. It re-decides records that are
// mirrored but neither linked nor deleted (those skipped before), and skips
// linked, unchanged ones.
//
// # Match cache
//
// The Matcher caches key lookups per (workspace, key) in an expiring LRU of
// bounded size, created once per process. The contacts API's lookups cache
// negatives too; a pull page's lookups (MatchPage) cache only positive
// answers, because a pull asks for each key about once and its negatives
// would fill the cache with entries never hit again. Misses of one call are
// looked up in one store call; concurrent misses of the same key wait for the
// lookup in flight. The engine invalidates the keys of the contacts a page
// creates or changes. A stale negative cannot create a duplicate: CommitPage
// re-checks inside its transaction and fails with ErrConflict; the engine then
// invalidates the page's keys and redoes the page (up to 4 attempts; then the
// pass ends with the error and the next pass resumes at the same cursor).
//
// # Failure handling
//
// Transient Source errors end the pass; the next scheduled pass resumes from
// the committed cursor. ErrReauthRequired, ErrAPIDisabled and ErrRateLimited
// also record the connection state with the fix. A lost lease (ErrLeaseLost)
// ends the pass before its next commit. Per-record problems never stop a
// page: they are decisions (skipped, ambiguous) with reasons.
//
// A Source that paused its calls over the budget threshold only learns of
// usage from responses, so a pass that starts paused first asks for the
// current usage (UsageRefresher: one /limits call, sent even while paused)
// and stops with ErrRateLimited only if still over. A pass that completes
// sets the connection back to connected when it was recorded in another
// state (written only on a change).
//
// # Push conflicts
//
// Before an update the pusher compares each field it is about to write with
// Salesforce's value: one that differs from the link's base was changed in
// Salesforce, a conflict under the workspace's policy. Salesforce's value is
// read from the mirror, not from Salesforce: a push always follows the
// pull of the same pass, which has just brought the mirror (and, through
// the 3-way merge, the contacts and bases) up to date, so a live read
// would cost one more call per 200 records for a few seconds of freshness.
// Values this pass has already pushed overlay the mirror (they are newer);
// records the mirror lacks are read live, in one call per batch.
//
// Neither way closes the race: sObject Collections has no conditional
// update, so a Salesforce edit between the read and the write is
// overwritten either way. With the mirror the window is from the moment the
// pull read the record to the moment the push writes it (the rest of the
// pull plus the push, seconds for an incremental pass); with a live read it
// was the time of one round trip. Such an overwrite is neither detected nor
// audited (Salesforce's field history, where enabled, keeps the old value).
//
// # Pushes that die after sending
//
// Salesforce may apply an update whose result the pusher never records (the
// process dies between the call and CompleteOutbox), leaving the link's base
// stale. So before the call the pusher records the values it sends on the
// link (Link.Pending, Store.MarkPushing). A pulled or live value found among
// a field's pending values is our own echo (EchoBase): it becomes the base,
// the local value is kept, and a newer local edit is pushed next instead of
// losing a conflict it never had. Recording a base (a completed push, or a
// pull that sees the value) drops the field's pending values.
//
// # Page boundaries
//
// A record is decided against the contact book as the page's earlier
// records leave it: contacts the page creates (matched by their own keys,
// not the record's, which include HomePhone and OtherPhone) and keys that
// earlier merges add or remove. So a record decides the same whether an
// earlier record was on its page or on a previous one, and a page redone
// with other boundaries after a crash decides as a clean run would.
//
// # Scheduling
//
// Scheduler runs a pass per workspace on a robfig/cron spec, skipping a tick
// while the previous pass still runs and recovering panics; each workspace's
// pass has its own timeout, derived from the scheduler's root context. Trigger
// runs one workspace's pass on demand (the admin API); a per-workspace slot
// keeps it from overlapping a scheduled pass in this process, and the lease
// from overlapping another process.
package sync
