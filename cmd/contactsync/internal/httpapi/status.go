package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	contactsync "github.com/contactsync/contactsync/sync"
)

// statusJSON is the wire form of GET /admin/v1/status.
type statusJSON struct {
	Workspace       string                   `json:"workspace"`
	Connection      connectionJSON           `json:"connection"`
	Settings        settingsJSON             `json:"settings"`
	AutoCreateSince *time.Time               `json:"auto_create_since"`
	Cursor          *cursorJSON              `json:"cursor"`
	Runs            []contactsync.RunSummary `json:"runs"`
	Outbox          outboxJSON               `json:"outbox"`
	APIUsage        *apiUsageJSON            `json:"api_usage"`
}

type connectionJSON struct {
	State       string     `json:"state"`
	InstanceURL string     `json:"instance_url,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	Fix         string     `json:"fix,omitempty"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
}

type cursorJSON struct {
	SystemModstamp time.Time `json:"system_modstamp"`
	ID             string    `json:"id"`
}

type outboxJSON struct {
	Pending int              `json:"pending"`
	Failed  int              `json:"failed"`
	Items   []failedItemJSON `json:"failed_items"`
}

type failedItemJSON struct {
	ID        int64     `json:"id"`
	ContactID int64     `json:"contact_id"`
	Op        string    `json:"op"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	UpdatedAt time.Time `json:"updated_at"`
}

type apiUsageJSON struct {
	Used   int     `json:"used"`
	Max    int     `json:"max"`
	Share  float64 `json:"share"`
	Paused bool    `json:"paused"`
}

// StateNotConnected is the connection state shown for a workspace without a
// Salesforce connection.
const StateNotConnected = "not_connected"

// connectionFixes tells an operator how to get out of each bad state.
var connectionFixes = map[string]string{
	StateNotConnected:                    "run `contactsync connect` to authorize a Salesforce org, or set CONTACTSYNC_SALESFORCE_* and restart",
	string(contactsync.StateNeedsReauth): "Salesforce rejected the refresh token (revoked, expired or the user changed): run `contactsync connect` to re-authorize, then `contactsync doctor`",
	string(contactsync.StateAPIDisabled): "the integration user cannot use the REST API: Setup → Users → Profiles → (the user's profile) → Administrative Permissions → tick API Enabled (or grant it with a permission set); the org's edition must include API access",
	string(contactsync.StateRateLimited): "the org's daily API budget is (nearly) spent: syncing resumes by itself as usage falls; lower the sync frequency or raise the org's limit if this repeats",
}

// Limits of the status page.
const (
	statusRuns        = 10
	statusFailedItems = 20
)

// status gathers a workspace's status.
func (s *Server) status(ctx context.Context, ws string) (statusJSON, error) {
	w, err := s.cfg.Store.Workspace(ctx, ws)
	if err != nil {
		return statusJSON{}, err
	}
	st := statusJSON{Workspace: ws, Settings: toSettingsJSON(w.Settings), Runs: []contactsync.RunSummary{}}
	if w.Settings.AutoCreate && !w.Settings.AutoCreateSince.IsZero() {
		t := w.Settings.AutoCreateSince.UTC()
		st.AutoCreateSince = &t
	}
	conn, err := s.cfg.Store.Connection(ctx, ws)
	switch {
	case errors.Is(err, contactsync.ErrNotFound):
		st.Connection = connectionJSON{State: StateNotConnected, Fix: connectionFixes[StateNotConnected]}
	case err != nil:
		return statusJSON{}, err
	default:
		state := string(conn.State)
		if state == "" {
			state = string(contactsync.StateConnected)
		}
		t := conn.UpdatedAt.UTC()
		st.Connection = connectionJSON{State: state, InstanceURL: conn.InstanceURL, Fix: connectionFixes[state], UpdatedAt: &t}
		if state != string(contactsync.StateConnected) {
			st.Connection.Reason = conn.StateReason
		}
	}
	cur, err := s.cfg.Store.Cursor(ctx, ws)
	if err != nil {
		return statusJSON{}, err
	}
	if cur != (contactsync.Cursor{}) {
		st.Cursor = &cursorJSON{SystemModstamp: cur.SystemModstamp.UTC(), ID: cur.ID}
	}
	runs, err := s.cfg.Store.Runs(ctx, ws, statusRuns)
	if err != nil {
		return statusJSON{}, err
	}
	st.Runs = append(st.Runs, runs...)
	st.Outbox.Pending, st.Outbox.Failed, err = s.cfg.Store.OutboxStats(ctx, ws)
	if err != nil {
		return statusJSON{}, err
	}
	failed, err := s.cfg.Store.FailedOutbox(ctx, ws, statusFailedItems)
	if err != nil {
		return statusJSON{}, err
	}
	st.Outbox.Items = []failedItemJSON{}
	for _, it := range failed {
		st.Outbox.Items = append(st.Outbox.Items, failedItemJSON{
			ID: it.ID, ContactID: it.ContactID, Op: string(it.Op), Attempts: it.Attempts,
			LastError: it.LastError, UpdatedAt: it.UpdatedAt.UTC(),
		})
	}
	st.APIUsage = s.usage(ctx, ws)
	return st, nil
}

// usage is the org's API usage, or nil when unknown (no reader, no
// connection, or no call made yet).
func (s *Server) usage(ctx context.Context, ws string) *apiUsageJSON {
	if s.cfg.Reader == nil {
		return nil
	}
	u, err := s.cfg.Reader.Usage(ctx, ws)
	if err != nil || u.Max <= 0 {
		return nil
	}
	return &apiUsageJSON{Used: u.Used, Max: u.Max, Share: float64(u.Used) / float64(u.Max), Paused: u.Paused}
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.workspaceRequest(r)
	if err != nil {
		return err
	}
	st, err := s.status(r.Context(), ws)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
