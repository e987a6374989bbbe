package salesforcetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
)

// maxSubrequests is the most subrequests one composite request takes.
const maxSubrequests = 25

type compositeRequest struct {
	AllOrNone        bool         `json:"allOrNone"`
	CompositeRequest []subrequest `json:"compositeRequest"`
}

type subrequest struct {
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	ReferenceID string            `json:"referenceId"`
	Body        json.RawMessage   `json:"body"`
	HTTPHeaders map[string]string `json:"httpHeaders"`
}

type subresponse struct {
	Body           json.RawMessage   `json:"body"`
	HTTPHeaders    map[string]string `json:"httpHeaders"`
	HTTPStatusCode int               `json:"httpStatusCode"`
	ReferenceID    string            `json:"referenceId"`
}

var referenceRE = regexp.MustCompile(`@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_\[\]]+)*)\}`)

// handleComposite serves POST /composite. The subrequests run in order
// through the same handlers, charged as one API call; @{ref.path}
// references to earlier results are substituted. Writes are not rolled back
// on allOrNone; later subrequests are skipped instead.
func (s *Server) handleComposite(w http.ResponseWriter, r *http.Request, c *call) {
	var req compositeRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.CompositeRequest) == 0 {
		writeErrors(w, http.StatusBadRequest, newError("INVALID_INPUT", "compositeRequest is required"))
		return
	}
	if len(req.CompositeRequest) > maxSubrequests {
		writeErrors(w, http.StatusBadRequest, newError("LIMIT_EXCEEDED",
			"A maximum of %d subrequests are allowed in a composite request", maxSubrequests))
		return
	}
	results := map[string]any{}
	out := make([]subresponse, 0, len(req.CompositeRequest))
	failed := false
	for _, sub := range req.CompositeRequest {
		if failed && req.AllOrNone {
			out = append(out, subresponse{
				Body: mustJSON([]*Error{{ErrorCode: "PROCESSING_HALTED",
					Message: "The transaction was rolled back since another operation in the same transaction failed."}}),
				HTTPHeaders: map[string]string{}, HTTPStatusCode: http.StatusBadRequest, ReferenceID: sub.ReferenceID})
			continue
		}
		url := substitute(sub.URL, results)
		body := substitute(string(sub.Body), results)
		rec := httptest.NewRecorder()
		sr, err := http.NewRequestWithContext(inner(r.Context()), sub.Method, url, strings.NewReader(body))
		if err != nil || !strings.HasPrefix(url, "/services/data/") {
			out = append(out, subresponse{Body: mustJSON([]*Error{newError("INVALID_INPUT", "invalid url: %s", sub.URL)}),
				HTTPHeaders: map[string]string{}, HTTPStatusCode: http.StatusBadRequest, ReferenceID: sub.ReferenceID})
			failed = true
			continue
		}
		sr.Header.Set("Authorization", r.Header.Get("Authorization"))
		sr.Header.Set("Content-Type", "application/json")
		for k, v := range sub.HTTPHeaders {
			sr.Header.Set(k, v)
		}
		s.handler.ServeHTTP(rec, sr)
		resp := subresponse{HTTPHeaders: map[string]string{}, HTTPStatusCode: rec.Code, ReferenceID: sub.ReferenceID}
		if loc := rec.Header().Get("Location"); loc != "" {
			resp.HTTPHeaders["Location"] = loc
		}
		if b := bytes.TrimSpace(rec.Body.Bytes()); len(b) > 0 {
			resp.Body = b
			var v any
			if json.Unmarshal(b, &v) == nil && sub.ReferenceID != "" {
				results[sub.ReferenceID] = v
			}
		} else {
			resp.Body = json.RawMessage("null")
		}
		if rec.Code >= 300 {
			failed = true
		}
		out = append(out, resp)
	}
	writeJSON(w, http.StatusOK, map[string]any{"compositeResponse": out})
}

// substitute replaces @{ref.path} with values from earlier results.
func substitute(s string, results map[string]any) string {
	return referenceRE.ReplaceAllStringFunc(s, func(m string) string {
		parts := referenceRE.FindStringSubmatch(m)
		v, ok := results[parts[1]]
		if !ok {
			return m
		}
		for _, p := range strings.Split(strings.TrimPrefix(parts[2], "."), ".") {
			if p == "" {
				continue
			}
			name, idx := p, -1
			if i := strings.IndexByte(p, '['); i >= 0 && strings.HasSuffix(p, "]") {
				name = p[:i]
				idx, _ = strconv.Atoi(p[i+1 : len(p)-1])
			}
			obj, _ := v.(map[string]any)
			v = obj[name]
			if idx >= 0 {
				arr, _ := v.([]any)
				if idx >= len(arr) {
					return m
				}
				v = arr[idx]
			}
		}
		return fmt.Sprint(v)
	})
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
