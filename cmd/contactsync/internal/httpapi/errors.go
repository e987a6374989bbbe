package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/contactsync/contactsync/sources/salesforce"
	contactsync "github.com/contactsync/contactsync/sync"
)

// Error is an error with the HTTP status and machine-readable code it is
// answered with. Handlers return *Error for request problems; everything else
// goes through the errorKinds table.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorKinds is the one table mapping domain errors to HTTP answers. The
// first entry that matches (errors.Is) wins; an error matching none is a 500
// whose message is not shown to the client.
var errorKinds = []struct {
	err    error
	status int
	code   string
}{
	{contactsync.ErrNotFound, http.StatusNotFound, "not_found"},
	{contactsync.ErrInvalid, http.StatusBadRequest, "invalid"},
	{contactsync.ErrSystemTag, http.StatusConflict, "system_tag"},
	{contactsync.ErrConflict, http.StatusConflict, "conflict"},
	{contactsync.ErrLeaseHeld, http.StatusConflict, "sync_running"},
	{contactsync.ErrLeaseLost, http.StatusConflict, "sync_running"},
	{contactsync.ErrReauthRequired, http.StatusBadGateway, "salesforce_reauth_required"},
	{contactsync.ErrAPIDisabled, http.StatusBadGateway, "salesforce_api_disabled"},
	{contactsync.ErrRateLimited, http.StatusServiceUnavailable, "salesforce_rate_limited"},
	{contactsync.ErrIdempotencyMismatch, http.StatusUnprocessableEntity, "idempotency_mismatch"},
	{contactsync.ErrIdempotencyInProgress, http.StatusConflict, "request_in_progress"},
	{context.DeadlineExceeded, http.StatusGatewayTimeout, "timeout"},
}

// errorBody is the wire form of every error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// toError turns err into the answer the client gets.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "request body exceeds %d bytes", mbe.Limit)
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return &Error{Status: k.status, Code: k.code, Message: publicMessage(err)}
		}
	}
	var dup *contactsync.DuplicateError
	if errors.As(err, &dup) {
		return &Error{Status: http.StatusConflict, Code: "salesforce_duplicate", Message: dup.Error()}
	}
	if contactsync.IsTemporary(err) {
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "a dependency is temporarily unavailable; try again"}
	}
	var api *salesforce.APIError
	if errors.As(err, &api) {
		if api.Status >= 400 && api.Status < 500 && api.Status != http.StatusUnauthorized && api.Status != http.StatusForbidden {
			// Salesforce refused the record (validation rule, bad field
			// value): the client can fix its input.
			return &Error{Status: http.StatusUnprocessableEntity, Code: "salesforce_rejected", Message: publicMessage(api)}
		}
		// Salesforce's message may quote a query or record values (personal
		// data the client did not send): show only its code. The server log
		// has the whole error.
		return &Error{Status: http.StatusBadGateway, Code: "salesforce_error", Message: publicMessage(&salesforce.APIError{Status: api.Status, Code: api.Code, Fields: api.Fields})}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
}

// publicMessage is the message of a known domain error. Domain errors are
// written to be shown (they name the field, never a secret).
func publicMessage(err error) string {
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return strings.ToValidUTF8(msg, "?")
}

// apiFunc is a handler that returns its error instead of writing it, so that
// every failure is answered in one place, through toError (as in WTF Dial's
// http package).
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// api adapts h: an error it returns is answered with writeError. A handler
// that returns an error must not have written anything yet.
func (s *Server) api(h apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// writeError answers with err in the wire format; 5xx errors are logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := toError(err)
	if e.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	}
	writeError(w, r, e)
}

func writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="contactsync"`)
	}
	writeJSON(w, e.Status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message}})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
	}
	writeRaw(w, status, b)
}

// marshalJSON encodes v as writeJSON sends it, newline included.
func marshalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// writeRaw answers with status and b, a JSON document.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
