package sync

import "time"

// RunSummary counts what one pass did for one workspace. It is printed by
// `contactsync sync`, returned by the admin API and kept for status.
type RunSummary struct {
	RunID      string    `json:"run_id"`
	Workspace  string    `json:"workspace"`
	StartedAt  time.Time `json:"started_at"`
	Pulled     int       `json:"pulled"`
	Created    int       `json:"created"`
	Linked     int       `json:"linked"`
	Updated    int       `json:"updated"`
	Ambiguous  int       `json:"ambiguous"`
	Skipped    int       `json:"skipped"`
	Unlinked   int       `json:"unlinked"`
	Pushed     int       `json:"pushed"`
	Failed     int       `json:"failed"`
	APICalls   int       `json:"api_calls"`
	DurationMS int64     `json:"duration_ms"`
	// Error is the error that ended the pass early, if any.
	Error string `json:"error,omitempty"`
}
