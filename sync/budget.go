package sync

import (
	"context"
	"errors"
	"fmt"
)

// UsageRefresher is implemented by Sources that can ask Salesforce for the
// org's current API usage with a call that is sent even while non-essential
// calls are paused (Salesforce's /limits resource).
//
// A Source pauses its calls once usage crosses the threshold, and only learns
// usage from responses; without a refresh it would never see usage fall and
// never resume. The engine refreshes at the start of a pass that would
// otherwise be paused.
type UsageRefresher interface {
	// RefreshUsage reads the org's usage and returns it, Paused updated.
	RefreshUsage(ctx context.Context) (APIUsage, error)
}

// checkBudget ends the pass with ErrRateLimited, before any other call, when
// the source is paused and a refresh (one essential call) confirms usage is
// still above the threshold.
func (e *Engine) checkBudget(ctx context.Context, r *run) error {
	u := r.src.Usage()
	if !u.Paused {
		return nil
	}
	if rf, ok := r.src.(UsageRefresher); ok {
		var err error
		if u, err = rf.RefreshUsage(ctx); err != nil {
			return fmt.Errorf("refresh API usage: %w", err)
		}
	}
	if u.Paused {
		return fmt.Errorf("API usage %d of %d is above the pause threshold: %w", u.Used, u.Max, ErrRateLimited)
	}
	return nil
}

// markConnected records StateConnected after a pass that worked, when the
// connection was recorded in another state (a spent budget that recovered,
// a re-authorized or re-enabled connection). It writes only on a change.
func (e *Engine) markConnected(ctx context.Context, r *run) {
	c, err := e.Store.Connection(ctx, r.ws.ID)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			e.Logger.Warn("read connection state", "workspace", r.ws.ID, "err", err)
		}
		return
	}
	if c.State == StateConnected {
		return
	}
	if err := e.Store.SetConnectionState(ctx, r.ws.ID, StateConnected, ""); err != nil && !errors.Is(err, ErrNotFound) {
		e.Logger.Error("set connection state", "workspace", r.ws.ID, "err", err)
	}
}
