package salesforcetest

import (
	"fmt"
	"strings"
)

// Error is a Salesforce error as the org reports it: from a direct method
// such as CreateRecord, and, in JSON, in REST error bodies.
type Error struct {
	Message   string           `json:"message"`
	ErrorCode string           `json:"errorCode"`
	Fields    []string         `json:"fields,omitempty"`
	Duplicate *duplicateResult `json:"duplicateResult,omitempty"`
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %s (fields %s)", e.ErrorCode, e.Message, strings.Join(e.Fields, ", "))
	}
	return e.ErrorCode + ": " + e.Message
}

// errorList joins several record errors into one error.
type errorList []*Error

func (l errorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// asError returns nil for no errors, the error itself for one, and an
// errorList for several.
func asError(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errorList(errs)
}

func newError(code, format string, args ...any) *Error {
	return &Error{ErrorCode: code, Message: fmt.Sprintf(format, args...)}
}

func fieldError(code string, field string, format string, args ...any) *Error {
	return &Error{ErrorCode: code, Message: fmt.Sprintf(format, args...), Fields: []string{field}}
}

// Messages worded as Salesforce words them.
const (
	msgSessionExpired = "Session expired or invalid"
	msgAPIDisabled    = "The REST API is not enabled for this Organization."
	msgLimitExceeded  = "TotalRequests Limit exceeded."
	msgNotFound       = "The requested resource does not exist"
	msgEntityDeleted  = "entity is deleted"
	msgDuplicate      = "Use one of these records?"
	msgRolledBack     = "Record rolled back because not all records were valid and the request was using AllOrNone header"
)

// duplicateResult is the detail Salesforce attaches to DUPLICATES_DETECTED.
type duplicateResult struct {
	AllowSave               bool          `json:"allowSave"`
	DuplicateRule           string        `json:"duplicateRule"`
	DuplicateRuleEntityType string        `json:"duplicateRuleEntityType"`
	ErrorMessage            string        `json:"errorMessage"`
	MatchResults            []matchResult `json:"matchResults"`
}

type matchResult struct {
	EntityType   string        `json:"entityType"`
	Errors       []any         `json:"errors"`
	MatchEngine  string        `json:"matchEngine"`
	MatchRecords []matchRecord `json:"matchRecords"`
	Rule         string        `json:"rule"`
	Size         int           `json:"size"`
	Success      bool          `json:"success"`
}

type matchRecord struct {
	AdditionalInformation []any          `json:"additionalInformation"`
	FieldDiffs            []any          `json:"fieldDiffs"`
	MatchConfidence       float64        `json:"matchConfidence"`
	Record                map[string]any `json:"record"`
}
