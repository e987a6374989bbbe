package httpapi

import (
	"context"
	"errors"
	"net/http"

	contactsync "github.com/contactsync/contactsync/sync"
)

// syncStarted answers a sync started in the background.
type syncStarted struct {
	Status    string `json:"status"`
	Workspace string `json:"workspace"`
	Backfill  bool   `json:"backfill"`
}

// syncFailed answers ?wait=true when the pass failed: the usual error, and
// the run summary so far.
type syncFailed struct {
	Error errorDetail             `json:"error"`
	Run   *contactsync.RunSummary `json:"run,omitempty"`
}

// handleSync starts a pass (a backfill pass when backfill) for the
// workspace: 202 at once, or with ?wait=true the run summary when it ends.
func (s *Server) handleSync(backfill bool) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ws, err := s.workspaceRequest(r, "wait")
		if err != nil {
			return err
		}
		wait, err := parseBool("wait", r.URL.Query().Get("wait"))
		if err != nil {
			return err
		}
		if _, err := s.cfg.Store.Workspace(r.Context(), ws); err != nil {
			return err
		}
		opts := contactsync.Options{Backfill: backfill}
		if wait {
			sum, err := s.runSync(r.Context(), ws, opts)
			if err != nil {
				e := toError(err)
				if e.Status >= 500 {
					s.log.ErrorContext(r.Context(), "sync failed", "workspace", ws, "err", err)
				}
				body := syncFailed{Error: errorDetail{Code: e.Code, Message: e.Message}}
				if sum.RunID != "" {
					body.Run = &sum
				}
				writeJSON(w, e.Status, body)
				return nil
			}
			writeJSON(w, http.StatusOK, sum)
			return nil
		}
		if err := s.startSync(ws, opts); err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, syncStarted{Status: "started", Workspace: ws, Backfill: backfill})
		return nil
	}
}

var errSyncRunning = errorf(http.StatusConflict, "sync_running", "a sync of this workspace is already running")

// claim marks ws as syncing, or fails when a pass started here is running.
func (s *Server) claim(ws string) error {
	if s.cfg.Syncer == nil {
		return errorf(http.StatusNotImplemented, "not_configured", "no syncer is configured")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[ws] {
		return errSyncRunning
	}
	s.running[ws] = true
	return nil
}

func (s *Server) release(ws string) {
	s.mu.Lock()
	delete(s.running, ws)
	s.mu.Unlock()
}

// runSync runs a pass and waits for it.
func (s *Server) runSync(ctx context.Context, ws string, opts contactsync.Options) (contactsync.RunSummary, error) {
	if err := s.claim(ws); err != nil {
		return contactsync.RunSummary{}, err
	}
	defer s.release(ws)
	sum, err := s.cfg.Syncer.Trigger(ctx, ws, opts)
	s.metrics.ObserveRun(sum, err)
	return sum, err
}

// startSync runs a pass in the background, owned by the server: Close
// cancels and waits for it.
func (s *Server) startSync(ws string, opts contactsync.Options) error {
	if err := s.claim(ws); err != nil {
		return err
	}
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		s.release(ws)
		return errorf(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down")
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer s.release(ws)
		sum, err := s.cfg.Syncer.Trigger(s.ctx, ws, opts)
		s.metrics.ObserveRun(sum, err)
		switch {
		case errors.Is(err, contactsync.ErrLeaseHeld):
			s.log.Info("sync requested while another pass holds the lease", "workspace", ws)
		case err != nil:
			s.log.Error("sync failed", "workspace", ws, "run_id", sum.RunID, "err", err)
		default:
			s.log.Info("sync finished", "workspace", ws, "run_id", sum.RunID, "pulled", sum.Pulled, "pushed", sum.Pushed)
		}
	}()
	return nil
}
