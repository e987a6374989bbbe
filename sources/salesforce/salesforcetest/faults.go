package salesforcetest

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Fault describes a failure to inject into matching requests.
//
// A fault fires for the Next matching requests when Next > 0, otherwise with
// Probability when it is > 0, otherwise on every matching request until
// ClearFaults. A fault with RecordCode fails individual records of sObject
// Collections writes instead of whole requests, with Next and Probability
// counting records.
type Fault struct {
	// Endpoint is one of the Endpoint constants, or "*" (or empty) for all
	// REST endpoints except the token endpoint.
	Endpoint string `json:"endpoint"`
	// Status is the HTTP status to answer with; 0 with a Delay only slows
	// the request down.
	Status int `json:"status,omitempty"`
	// Code and Message make the error body; both default from Status
	// (401 INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED, 500
	// UNKNOWN_EXCEPTION, 503 SERVER_UNAVAILABLE, …). On the token endpoint
	// Code is the OAuth error, such as invalid_grant.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// RetryAfter, in seconds, sets a Retry-After header.
	RetryAfter int `json:"retry_after,omitempty"`
	// Next and Probability say when the fault fires (see above).
	Next        int     `json:"next,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	// Delay is waited before answering, fault or not. In JSON it is
	// delay_ms.
	Delay   time.Duration `json:"-"`
	DelayMS int           `json:"delay_ms,omitempty"`
	// RecordCode, when set, makes the fault fail single records of
	// Collections writes with this statusCode (such as UNABLE_TO_LOCK_ROW).
	RecordCode string `json:"record_code,omitempty"`
}

type faultState struct {
	Fault
	fired int
}

// Inject adds a fault. Faults are checked in the order they were added.
func (s *Server) Inject(f Fault) {
	if f.Delay == 0 && f.DelayMS > 0 {
		f.Delay = time.Duration(f.DelayMS) * time.Millisecond
	}
	if f.Endpoint == "" {
		f.Endpoint = "*"
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.faults = nil
}

// fault returns the request fault to apply to endpoint, if any fires.
func (s *Server) fault(endpoint string, record bool) *Fault {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	for _, f := range s.faults {
		if (f.RecordCode != "") != record {
			continue
		}
		if f.Endpoint != endpoint && !(f.Endpoint == "*" && endpoint != EndpointToken) {
			continue
		}
		switch {
		case f.Next > 0:
			if f.fired >= f.Next {
				continue
			}
		case f.Probability > 0:
			if s.rng.Float64() >= f.Probability {
				continue
			}
		}
		f.fired++
		s.stats.Faults++
		ff := f.Fault
		return &ff
	}
	return nil
}

// defaultFaultError returns the error code and message for a status.
func defaultFaultError(status int) (string, string) {
	switch status {
	case http.StatusUnauthorized:
		return "INVALID_SESSION_ID", msgSessionExpired
	case http.StatusForbidden:
		return "REQUEST_LIMIT_EXCEEDED", msgLimitExceeded
	case http.StatusNotFound:
		return "NOT_FOUND", msgNotFound
	case http.StatusTooManyRequests:
		return "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."
	case http.StatusBadRequest:
		return "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records"
	case http.StatusServiceUnavailable:
		return "SERVER_UNAVAILABLE", "Server temporarily unavailable"
	}
	return "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1957425617-42 (-1208283155)"
}

// serveFault waits out the fault's delay and writes its error, reporting
// whether the request was answered.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault, oauth bool) bool {
	if f.Delay > 0 {
		// Go's server notices a client that hung up only once the body
		// has been read, so read it first (and keep it for the handler)
		// or a cancelled request would hold the connection for the delay.
		if body, err := io.ReadAll(r.Body); err == nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	code, msg := defaultFaultError(f.Status)
	if oauth {
		code, msg = "unknown_error", "retry your request"
	}
	if f.Code != "" {
		code = f.Code
	}
	if f.Message != "" {
		msg = f.Message
	}
	if oauth {
		writeJSON(w, f.Status, oauthError{code, msg})
		return true
	}
	s.setLimitHeader(w)
	writeErrors(w, f.Status, &Error{ErrorCode: code, Message: msg})
	return true
}
