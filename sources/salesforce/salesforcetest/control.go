package salesforcetest

import (
	"encoding/json"
	"net/http"
)

// controlRoutes serves the test controls under /__sim/, JSON in and out.
// They need no session and are not API calls.
func (s *Server) controlRoutes(mux *http.ServeMux) {
	ok := func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, map[string]bool{"ok": true}) }
	flag := func(set func(bool)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				Enabled *bool `json:"enabled"`
			}
			if r.ContentLength != 0 && json.NewDecoder(r.Body).Decode(&req) != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"enabled\": true|false}"})
				return
			}
			set(req.Enabled == nil || *req.Enabled)
			ok(w)
		}
	}
	mux.HandleFunc("GET /__sim/stats", func(w http.ResponseWriter, r *http.Request) {
		st := s.Stats()
		used, max := s.APIUsage()
		writeJSON(w, http.StatusOK, map[string]any{"api_calls": st.APICalls, "by_endpoint": st.ByEndpoint,
			"token_requests": st.TokenRequests, "faults": st.Faults, "rejected": st.Rejected,
			"api_usage": used, "api_limit": max})
	})
	mux.HandleFunc("DELETE /__sim/stats", func(w http.ResponseWriter, r *http.Request) { s.ResetStats(); ok(w) })
	mux.HandleFunc("POST /__sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decode fault: " + err.Error()})
			return
		}
		s.Inject(f)
		ok(w)
	})
	mux.HandleFunc("DELETE /__sim/faults", func(w http.ResponseWriter, r *http.Request) { s.ClearFaults(); ok(w) })
	mux.HandleFunc("POST /__sim/bulk-import", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Count   int              `json:"count"`
			Records []map[string]any `json:"records"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decode bulk import: " + err.Error()})
			return
		}
		var gen func(int) map[string]any
		n := req.Count
		if len(req.Records) > 0 {
			n = len(req.Records)
			gen = func(i int) map[string]any { return req.Records[i] }
		}
		writeJSON(w, http.StatusOK, map[string]any{"ids": s.BulkImport(n, gen)})
	})
	mux.HandleFunc("POST /__sim/touch", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Count int `json:"count"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Count < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"count\": n}"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ids": s.Touch(req.Count)})
	})
	mux.HandleFunc("POST /__sim/reset", func(w http.ResponseWriter, r *http.Request) { s.Reset(); ok(w) })
	mux.HandleFunc("POST /__sim/expire-sessions", func(w http.ResponseWriter, r *http.Request) { s.ExpireSessions(); ok(w) })
	mux.HandleFunc("POST /__sim/revoke-refresh-tokens", func(w http.ResponseWriter, r *http.Request) { s.RevokeRefreshTokens(); ok(w) })
	mux.HandleFunc("POST /__sim/api-disabled", flag(s.SetAPIDisabled))
	mux.HandleFunc("POST /__sim/duplicate-rule", flag(s.SetDuplicateRule))
	mux.HandleFunc("POST /__sim/api-usage", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Used int `json:"used"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"used\": n}"})
			return
		}
		s.SetAPIUsage(req.Used)
		ok(w)
	})
	mux.HandleFunc("POST /__sim/merge", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Master     string   `json:"master"`
			Duplicates []string `json:"duplicates"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decode merge: " + err.Error()})
			return
		}
		if err := s.MergeContacts(req.Master, req.Duplicates...); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		ok(w)
	})
}
