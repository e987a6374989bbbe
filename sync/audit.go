package sync

import (
	"context"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// Decision is what the engine did with one record; every decision is
// audit-logged.
type Decision string

// The decisions.
const (
	DecisionLinked          Decision = "linked"
	DecisionCreated         Decision = "created"
	DecisionUpdated         Decision = "updated"
	DecisionAmbiguous       Decision = "ambiguous"
	DecisionSkipped         Decision = "skipped"
	DecisionUnlinked        Decision = "unlinked"
	DecisionRelinked        Decision = "relinked"
	DecisionConflict        Decision = "conflict"
	DecisionPushed          Decision = "pushed"
	DecisionPushFailed      Decision = "push_failed"
	DecisionSettingsChanged Decision = "settings_changed"
)

// Audit directions.
const (
	AuditPull = "pull"
	AuditPush = "push"
)

// Audit log keys. They are part of the audit format: change them only with a
// note to operators.
const (
	auditMsg        = "audit"
	keyRunID        = "run_id"
	keyWorkspace    = "workspace"
	keyDirection    = "direction"
	keySalesforceID = "salesforce_id"
	keyContactID    = "contact_id"
	keyDecision     = "decision"
	keyMatchedBy    = "matched_by"
	keyReason       = "reason"
	keyEmail        = "email"
	keyPhone        = "phone"
)

// AuditEvent is one audited decision. Email and Phone are raw values: the
// Auditor masks them before anything is written.
type AuditEvent struct {
	RunID        string
	Workspace    string
	Direction    string
	SalesforceID string
	ContactID    int64
	Decision     Decision
	MatchedBy    string
	Reason       string
	Email        string
	Phone        string
	// Attrs are extra attributes, such as the old and new values of a
	// settings change. They must not hold personal data or secrets.
	Attrs []slog.Attr
}

// Auditor writes one JSON line per decision to its own logger, with fixed
// keys and personal data masked. A nil *Auditor discards events.
type Auditor struct {
	log *slog.Logger
}

// NewAuditor returns an Auditor writing to h. Use a JSON handler: the audit
// log is meant to be read by machines.
func NewAuditor(h slog.Handler) *Auditor {
	return &Auditor{log: slog.New(h)}
}

// Record writes e.
func (a *Auditor) Record(ctx context.Context, e AuditEvent) {
	if a == nil {
		return
	}
	attrs := make([]slog.Attr, 0, 11+len(e.Attrs))
	attrs = append(attrs,
		slog.String(keyRunID, e.RunID),
		slog.String(keyWorkspace, e.Workspace),
		slog.String(keyDirection, e.Direction),
		slog.String(keySalesforceID, e.SalesforceID),
		slog.Int64(keyContactID, e.ContactID),
		slog.String(keyDecision, string(e.Decision)),
		slog.String(keyMatchedBy, e.MatchedBy),
		slog.String(keyReason, e.Reason),
		slog.String(keyEmail, MaskEmail(e.Email)),
		slog.String(keyPhone, MaskPhone(e.Phone)),
	)
	attrs = append(attrs, e.Attrs...)
	a.log.LogAttrs(ctx, slog.LevelInfo, auditMsg, attrs...)
}

// MaskEmail hides an email address but its first letters and top-level
// domain: "jane.doe@example.com" becomes "j***@e***.com". Values that are
// not addresses are masked whole.
func MaskEmail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "***"
	}
	local, domain := s[:at], s[at+1:]
	tld := ""
	if dot := strings.LastIndexByte(domain, '.'); dot > 0 {
		tld, domain = domain[dot:], domain[:dot]
	}
	return firstRune(local) + "***@" + firstRune(domain) + "***" + tld
}

// MaskPhone keeps a phone number's first two and last four characters (its
// country code and line ending): "+14155550134" becomes "+1******0134".
// Raw values are masked after dropping formatting.
func MaskPhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '+' || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	d := b.String()
	switch {
	case d == "":
		if strings.TrimSpace(s) == "" {
			return ""
		}
		return "***"
	case len(d) <= 6:
		return strings.Repeat("*", len(d))
	}
	return d[:2] + strings.Repeat("*", len(d)-6) + d[len(d)-4:]
}

func firstRune(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return ""
	}
	return s[:n]
}
