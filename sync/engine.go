package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// SourceProvider returns the Source for a workspace's Salesforce connection.
// It returns ErrNotFound when the workspace has no connection.
type SourceProvider interface {
	Source(ctx context.Context, ws Workspace) (Source, error)
}

// SourceProviderFunc adapts a function to SourceProvider.
type SourceProviderFunc func(ctx context.Context, ws Workspace) (Source, error)

// Source calls f.
func (f SourceProviderFunc) Source(ctx context.Context, ws Workspace) (Source, error) {
	return f(ctx, ws)
}

// BulkMarker marks records as bulk-imported by a field value, in addition to
// detection by creation grouping. A zero BulkMarker marks nothing.
type BulkMarker struct {
	Field string
	Value string
}

// Engine runs sync passes: pull Salesforce changes into the local contact
// book, then push local changes to Salesforce. Set the exported fields before
// the first pass and do not change them afterwards; an Engine is safe for
// concurrent passes on different workspaces.
type Engine struct {
	Store   Store
	Sources SourceProvider
	// Fields is the field mapping; DefaultFieldMap when nil.
	Fields FieldMap
	// Matcher caches match lookups; NewEngine creates one.
	Matcher *Matcher
	Audit   *Auditor
	Logger  *slog.Logger
	// Holder names this process in workspace leases.
	Holder string
	// LeaseTTL is how long a lease lasts before it must be renewed.
	LeaseTTL time.Duration
	// PageSize is the number of records per pulled page (at most 2000).
	PageSize int
	// Overlap is how far before the cursor each pull re-reads, to catch
	// transactions that committed with slightly older stamps.
	Overlap time.Duration
	// BulkThreshold is the record count above which an initial load or a
	// backfill reads through a Salesforce Bulk API job instead of paged
	// queries. Zero means DefaultBulkThreshold; negative never uses bulk.
	BulkThreshold int
	// PushBatch is the number of outbox items pushed per Collections call
	// (at most 200).
	PushBatch int
	// Marker optionally marks bulk imports by field value.
	Marker BulkMarker
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	// testHook, when set (by tests only), is called at named points of a
	// pass, such as between pages and between push batches, so crash tests
	// can panic or cancel there. See hook.
	testHook func(point string)
}

// hook calls the test hook at a named point; a no-op outside tests.
func (e *Engine) hook(point string) {
	if e.testHook != nil {
		e.testHook(point)
	}
}

// DefaultBulkThreshold is Engine.BulkThreshold's default: above 10,000
// records a bulk job costs fewer API calls than paged queries (about ten
// calls for any size instead of one per 2,000 records).
const DefaultBulkThreshold = 10000

// NewEngine returns an Engine with defaults: the default field map, a match
// cache with the given TTL, 2,000-record pages, 200-record pushes, a 2-minute
// lease and a 1-second overlap.
func NewEngine(store Store, sources SourceProvider, cacheTTL time.Duration) *Engine {
	return &Engine{
		Store:     store,
		Sources:   sources,
		Fields:    DefaultFieldMap(),
		Matcher:   NewMatcher(store, cacheTTL),
		Logger:    slog.New(slog.DiscardHandler),
		Holder:    newID(),
		LeaseTTL:  2 * time.Minute,
		PageSize:  2000,
		Overlap:   time.Second,
		PushBatch: 200,
	}
}

// Options change how one pass runs.
type Options struct {
	// DryRun decides and audits without writing anything.
	DryRun bool
	// Backfill also considers Salesforce records created before
	// auto-create was switched on, reading the org from the beginning.
	Backfill bool
}

// run is the state of one pass over one workspace.
type run struct {
	id      string
	ws      Workspace
	src     Source
	lease   Lease
	opts    Options
	summary RunSummary
	// apiStart is the source's usage when the pass began.
	apiStart int
	// pushed holds the field values this pass's pushes wrote, by
	// Salesforce id: newer than the mirror, which the pull filled before.
	pushed map[string]map[string]string
}

// audit records a decision of this run.
func (e *Engine) audit(ctx context.Context, r *run, ev AuditEvent) {
	ev.RunID, ev.Workspace = r.id, r.ws.ID
	e.Audit.Record(ctx, ev)
}

// RunWorkspace runs one pass over the workspace: take its lease, pull, push,
// release. It returns ErrLeaseHeld without doing anything when another
// process holds the lease. The summary is returned, and recorded, even when
// the pass ends early with an error.
func (e *Engine) RunWorkspace(ctx context.Context, wsID string, opts Options) (RunSummary, error) {
	start := e.now()
	r := &run{id: newID(), opts: opts}
	r.summary = RunSummary{RunID: r.id, Workspace: wsID, StartedAt: start}
	err := e.runWorkspace(ctx, r, wsID)
	r.summary.DurationMS = e.now().Sub(start).Milliseconds()
	if r.src != nil {
		r.summary.APICalls = r.src.Usage().Used - r.apiStart
	}
	if err != nil {
		if errors.Is(err, ErrLeaseHeld) {
			return r.summary, err
		}
		r.summary.Error = err.Error()
	}
	if !opts.DryRun {
		if rerr := e.Store.RecordRun(context.WithoutCancel(ctx), r.summary); rerr != nil {
			e.Logger.Error("record run", "workspace", wsID, "err", rerr)
		}
	}
	return r.summary, err
}

func (e *Engine) runWorkspace(ctx context.Context, r *run, wsID string) error {
	ws, err := e.Store.Workspace(ctx, wsID)
	if err != nil {
		return fmt.Errorf("load workspace: %w", err)
	}
	r.ws = ws
	if !r.opts.DryRun {
		lease, err := e.Store.AcquireLease(ctx, wsID, e.Holder, e.LeaseTTL)
		if err != nil {
			return fmt.Errorf("acquire lease: %w", err)
		}
		r.lease = lease
		defer func() {
			if err := e.Store.ReleaseLease(context.WithoutCancel(ctx), r.lease); err != nil {
				e.Logger.Warn("release lease", "workspace", wsID, "err", err)
			}
		}()
	}
	src, err := e.Sources.Source(ctx, ws)
	if err != nil {
		return fmt.Errorf("salesforce connection: %w", err)
	}
	r.src = src
	r.apiStart = src.Usage().Used
	if err := e.checkBudget(ctx, r); err != nil {
		return e.connectionError(ctx, r, err)
	}
	if err := e.pull(ctx, r); err != nil {
		return e.connectionError(ctx, r, fmt.Errorf("pull: %w", err))
	}
	if r.opts.DryRun {
		return nil
	}
	if err := e.push(ctx, r); err != nil {
		return e.connectionError(ctx, r, fmt.Errorf("push: %w", err))
	}
	e.markConnected(ctx, r)
	return nil
}

// connectionError records a connection state for errors that need a person
// (re-authorization, API access, budget) and returns err.
func (e *Engine) connectionError(ctx context.Context, r *run, err error) error {
	var state ConnectionState
	var reason string
	switch {
	case errors.Is(err, ErrReauthRequired):
		state, reason = StateNeedsReauth, "Salesforce rejected the refresh token; run `contactsync connect` to re-authorize"
	case errors.Is(err, ErrAPIDisabled):
		state, reason = StateAPIDisabled, "the REST API is not enabled for the integration user: Setup → Users → Profiles → (the user's profile) → Administrative Permissions → tick API Enabled"
	case errors.Is(err, ErrRateLimited):
		state, reason = StateRateLimited, "the org's daily API budget is spent or nearly spent; syncing resumes when usage falls"
	default:
		return err
	}
	if serr := e.Store.SetConnectionState(context.WithoutCancel(ctx), r.ws.ID, state, reason); serr != nil && !errors.Is(serr, ErrNotFound) {
		e.Logger.Error("set connection state", "workspace", r.ws.ID, "err", serr)
	}
	return err
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
