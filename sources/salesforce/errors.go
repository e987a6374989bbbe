package salesforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Salesforce error codes the client treats specially.
const (
	CodeInvalidSession       = "INVALID_SESSION_ID"
	CodeAPIDisabled          = "API_DISABLED_FOR_ORG"
	CodeRequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED"
	CodeNotFound             = "NOT_FOUND"
	CodeEntityIsDeleted      = "ENTITY_IS_DELETED"
	CodeUnableToLockRow      = "UNABLE_TO_LOCK_ROW"
	CodeQueryTimeout         = "QUERY_TIMEOUT"
	CodeServerUnavailable    = "SERVER_UNAVAILABLE"
	CodeDuplicatesDetected   = "DUPLICATES_DETECTED"
)

// APIDisabledRemedy is how an administrator fixes API_DISABLED_FOR_ORG.
const APIDisabledRemedy = "the Salesforce user needs the \"API Enabled\" permission: " +
	"Setup → Users → Profiles → (the user's profile) → Administrative Permissions → tick API Enabled " +
	"(or grant it with a permission set); the org's edition must include API access"

// APIError is an error reported by Salesforce, for a whole call or for one
// record of an sObject Collections call (Status is then 200).
type APIError struct {
	// Status is the HTTP status of the response.
	Status int
	// Code is Salesforce's errorCode (statusCode in Collections results),
	// such as INVALID_EMAIL_ADDRESS, or the OAuth error for token errors.
	Code string
	// Message is Salesforce's text. It can quote the query or the record's
	// values (an invalid email address, a validation rule's message), so
	// Error includes it only for codes whose wording is fixed; read it here
	// when the personal data it may hold is acceptable.
	Message string
	// Fields names the fields the error is about, when Salesforce says.
	Fields []string

	dup *contactsync.DuplicateError
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("salesforce: ")
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
	}
	if e.Message != "" && fixedWording(e.Code) {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Fields) > 0 {
		b.WriteString(" (fields: ")
		b.WriteString(strings.Join(e.Fields, ", "))
		b.WriteString(")")
	}
	if e.Code == CodeAPIDisabled {
		b.WriteString("; fix: ")
		b.WriteString(APIDisabledRemedy)
	}
	return b.String()
}

// fixedWording reports whether Salesforce words errors with code in fixed
// text that quotes no query and no record value. Error text ends up in logs,
// run summaries, the outbox and the audit reason, where personal data must
// not go.
func fixedWording(code string) bool {
	switch code {
	case CodeInvalidSession, CodeAPIDisabled, CodeRequestLimitExceeded, CodeUnableToLockRow,
		CodeQueryTimeout, CodeServerUnavailable, CodeNotFound, CodeEntityIsDeleted, CodeDuplicatesDetected:
		return true
	}
	// OAuth errors (invalid_grant, invalid_client_id, …) are lower case and
	// their descriptions are fixed too.
	return code != "" && strings.ToLower(code) == code
}

// Temporary reports whether the same call may succeed if tried again later.
func (e *APIError) Temporary() bool {
	switch e.Code {
	case CodeUnableToLockRow, CodeQueryTimeout, CodeServerUnavailable:
		return true
	case CodeAPIDisabled:
		return false
	case CodeRequestLimitExceeded:
		// 403 is the spent daily budget: retrying only makes it worse.
		// 429 is the concurrent long-running request limit: it clears.
		return e.Status == http.StatusTooManyRequests
	}
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Is maps Salesforce error codes to the sync sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case contactsync.ErrAPIDisabled:
		return e.Code == CodeAPIDisabled
	case contactsync.ErrRateLimited:
		return e.Code == CodeRequestLimitExceeded && e.Status != http.StatusTooManyRequests
	case contactsync.ErrNotFound:
		return e.Code == CodeNotFound || e.Code == CodeEntityIsDeleted ||
			(e.Status == http.StatusNotFound && e.Code == "")
	}
	return false
}

// Unwrap returns the *sync.DuplicateError of a DUPLICATES_DETECTED error, so
// errors.As finds it.
func (e *APIError) Unwrap() error {
	if e.dup == nil {
		return nil
	}
	return e.dup
}

// ReauthError is returned once a refresh token or other credential was
// rejected for good (invalid_grant and the like). It matches
// sync.ErrReauthRequired.
type ReauthError struct {
	// Code and Description are the OAuth error and its description.
	Code, Description string
}

func (e *ReauthError) Error() string {
	return "salesforce: re-authorization required: " + e.Code + ": " + e.Description +
		" (run contactsync connect, or fix the credentials, and restart)"
}

// Is matches sync.ErrReauthRequired.
func (e *ReauthError) Is(target error) bool { return target == contactsync.ErrReauthRequired }

// rateLimitPaused is returned without a request when usage is above the
// pause threshold.
type pausedError struct{ used, max int }

func (e *pausedError) Error() string {
	return fmt.Sprintf("salesforce: API usage %d/%d is above the pause threshold; non-essential calls are held back", e.used, e.max)
}

func (e *pausedError) Is(target error) bool { return target == contactsync.ErrRateLimited }

// wireError is one element of a REST error body or of a Collections result's
// errors.
type wireError struct {
	Message    string   `json:"message"`
	ErrorCode  string   `json:"errorCode"`
	StatusCode string   `json:"statusCode"`
	Fields     []string `json:"fields"`
	// DuplicateResult is set on DUPLICATES_DETECTED.
	DuplicateResult *struct {
		MatchResults []struct {
			MatchRecords []struct {
				Record struct {
					ID string `json:"Id"`
				} `json:"record"`
			} `json:"matchRecords"`
		} `json:"matchResults"`
	} `json:"duplicateResult"`
}

func (w *wireError) apiError(status int) *APIError {
	e := &APIError{Status: status, Code: w.ErrorCode, Message: w.Message, Fields: w.Fields}
	if e.Code == "" {
		e.Code = w.StatusCode
	}
	if e.Code == CodeDuplicatesDetected {
		d := &contactsync.DuplicateError{Message: w.Message}
		if w.DuplicateResult != nil {
			for _, mr := range w.DuplicateResult.MatchResults {
				for _, rec := range mr.MatchRecords {
					if rec.Record.ID != "" {
						d.IDs = append(d.IDs, rec.Record.ID)
					}
				}
			}
		}
		e.dup = d
	}
	return e
}

// parseError turns an error response body into an *APIError. Salesforce
// sends an array of errors; OAuth-style objects and non-JSON bodies are
// handled too.
func parseError(status int, body []byte) *APIError {
	var arr []wireError
	if json.Unmarshal(body, &arr) == nil && len(arr) > 0 {
		return arr[0].apiError(status)
	}
	var obj struct {
		wireError
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &obj) == nil {
		if obj.ErrorCode != "" || obj.StatusCode != "" {
			return obj.apiError(status)
		}
		if obj.Error != "" {
			return &APIError{Status: status, Code: obj.Error, Message: obj.ErrorDescription}
		}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return &APIError{Status: status, Message: msg}
}

// asAPIError is errors.As for *APIError.
func asAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}
