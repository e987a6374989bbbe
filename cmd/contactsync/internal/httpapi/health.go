package httpapi

import (
	"context"
	"net/http"
	"time"
)

// readyTimeout bounds a readiness check so a hung database fails the probe
// instead of hanging it.
const readyTimeout = 5 * time.Second

type healthJSON struct {
	Status string `json:"status"`
}

// handleHealthz says the process is alive. It checks nothing else: a
// liveness probe that fails on a database outage would restart healthy
// processes.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, healthJSON{Status: "ok"})
	return nil
}

// handleReadyz runs the Ready check: 200, or 503 not_ready with the reason.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	ready := s.cfg.Ready
	if ready == nil {
		ready = func(ctx context.Context) error {
			_, err := s.cfg.Store.Workspace(ctx, s.cfg.Workspace)
			return err
		}
	}
	if err := ready(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		// The probe is unauthenticated: only a caller with the token sees
		// why (a database error may name hosts).
		msg := "not ready; see the server log"
		if _, ok := bearerToken(r); ok && s.authenticate(r) == nil {
			msg = publicMessage(err)
		}
		// Written here, not returned: the failure is logged above, at
		// warning level, without the 5xx error log of s.api.
		writeError(w, r, errorf(http.StatusServiceUnavailable, "not_ready", "%s", msg))
		return nil
	}
	writeJSON(w, http.StatusOK, healthJSON{Status: "ready"})
	return nil
}
