package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
)

// Lead and Case defaults.
const (
	// DefaultCaseOrigin is the Origin of a Case made from a conversation.
	DefaultCaseOrigin = "Chat"
	// DefaultLeadSource is the LeadSource of a Lead made from a
	// conversation when neither the input nor the contact names one.
	DefaultLeadSource = "Chat"
)

// LeadInput is what a person adds when turning a contact into a Salesforce
// Lead. Empty fields fall back to the contact's values or defaults.
type LeadInput struct {
	// Company is required by Salesforce; "[not provided]" when empty, as
	// Salesforce's Web-to-Lead does.
	Company     string `json:"company"`
	Title       string `json:"title"`
	LeadSource  string `json:"lead_source"`
	Description string `json:"description"`
	// Fields sets further Lead fields by Salesforce name; they override
	// the values derived from the contact.
	Fields map[string]string `json:"fields,omitempty"`
}

// CaseInput is what a person adds when opening a Salesforce Case for a
// contact.
type CaseInput struct {
	// Subject defaults to "Conversation with <contact's name>".
	Subject     string `json:"subject"`
	Description string `json:"description"`
	// Origin defaults to DefaultCaseOrigin.
	Origin   string `json:"origin"`
	Status   string `json:"status"`
	Priority string `json:"priority"`
	// Fields sets further Case fields by Salesforce name; they override
	// the values derived from the contact.
	Fields map[string]string `json:"fields,omitempty"`
}

// CreateLead creates a Salesforce Lead from a local contact and returns the
// Lead's id. The contact's names, email and phone go into the Lead; a missing
// last name or company becomes "[not provided]". It returns ErrNotFound when
// the workspace or contact does not exist (or the workspace has no
// connection), the Source's errors otherwise (ErrRateLimited,
// ErrReauthRequired, or a validation error from Salesforce).
//
// Every call creates a new Lead: callers that may retry (an HTTP request)
// keep an idempotency key and the returned id, and call again only for a new
// key.
func (e *Engine) CreateLead(ctx context.Context, ws string, contactID int64, in LeadInput) (string, error) {
	w, c, src, err := e.convertTarget(ctx, ws, contactID)
	if err != nil {
		return "", err
	}
	f := LeadFields(&c, in)
	id, err := src.CreateLead(ctx, f)
	if err != nil {
		return "", fmt.Errorf("create lead: %w", err)
	}
	e.auditConvert(ctx, w, &c, id, "created Salesforce Lead")
	return id, nil
}

// CreateCase opens a Salesforce Case for a local contact and returns the
// Case's id. The Case names the linked Salesforce Contact, if any, and
// carries the contact's email and phone as the supplied ones. Errors are as
// for CreateLead.
func (e *Engine) CreateCase(ctx context.Context, ws string, contactID int64, in CaseInput) (string, error) {
	w, c, src, err := e.convertTarget(ctx, ws, contactID)
	if err != nil {
		return "", err
	}
	links, err := e.Store.LinksByContact(ctx, ws, []int64{contactID})
	if err != nil {
		return "", fmt.Errorf("link of contact %d: %w", contactID, err)
	}
	sfID := ""
	if l, ok := links[contactID]; ok {
		sfID = l.SalesforceID
	}
	id, err := src.CreateCase(ctx, CaseFields(&c, sfID, in))
	if err != nil {
		return "", fmt.Errorf("create case: %w", err)
	}
	e.auditConvert(ctx, w, &c, id, "created Salesforce Case")
	return id, nil
}

// LeadFields returns the Lead fields for contact c and input in.
func LeadFields(c *Contact, in LeadInput) map[string]string {
	f := map[string]string{
		"FirstName":   c.FirstName,
		"LastName":    orDefault(c.LastName, placeholderName),
		"Company":     orDefault(strings.TrimSpace(in.Company), placeholderName),
		"Email":       c.Email,
		"Phone":       cmp.Or(c.Phone, c.MobilePhone),
		"Title":       cmp.Or(in.Title, c.Title),
		"LeadSource":  cmp.Or(in.LeadSource, c.LeadSource, DefaultLeadSource),
		"Description": cmp.Or(in.Description, c.Description),
	}
	if c.Phone != "" && c.MobilePhone != "" {
		f["MobilePhone"] = c.MobilePhone
	}
	return finish(f, in.Fields)
}

// CaseFields returns the Case fields for contact c, linked to the Salesforce
// Contact sfID ("" when unlinked), and input in.
func CaseFields(c *Contact, sfID string, in CaseInput) map[string]string {
	subject := strings.TrimSpace(in.Subject)
	if subject == "" {
		subject = "Conversation"
		if name := strings.TrimSpace(c.FirstName + " " + c.LastName); name != "" {
			subject += " with " + name
		}
	}
	f := map[string]string{
		"Subject":       subject,
		"Description":   in.Description,
		"Origin":        orDefault(in.Origin, DefaultCaseOrigin),
		"Status":        in.Status,
		"Priority":      in.Priority,
		"ContactId":     sfID,
		"SuppliedName":  strings.TrimSpace(c.FirstName + " " + c.LastName),
		"SuppliedEmail": c.Email,
		"SuppliedPhone": cmp.Or(c.Phone, c.MobilePhone),
	}
	return finish(f, in.Fields)
}

// convertTarget loads what CreateLead and CreateCase need.
func (e *Engine) convertTarget(ctx context.Context, ws string, contactID int64) (Workspace, Contact, Source, error) {
	w, err := e.Store.Workspace(ctx, ws)
	if err != nil {
		return Workspace{}, Contact{}, nil, fmt.Errorf("workspace %q: %w", ws, err)
	}
	c, err := e.Store.Contact(ctx, ws, contactID)
	if err != nil {
		return Workspace{}, Contact{}, nil, fmt.Errorf("contact %d: %w", contactID, err)
	}
	src, err := e.Sources.Source(ctx, w)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Workspace{}, Contact{}, nil, fmt.Errorf("workspace %q has no Salesforce connection: %w", ws, err)
		}
		return Workspace{}, Contact{}, nil, fmt.Errorf("salesforce connection: %w", err)
	}
	return w, c, src, nil
}

func (e *Engine) auditConvert(ctx context.Context, w Workspace, c *Contact, id, reason string) {
	e.Audit.Record(ctx, AuditEvent{
		Workspace:    w.ID,
		Direction:    AuditPush,
		SalesforceID: id,
		ContactID:    c.ID,
		Decision:     DecisionCreated,
		Reason:       reason,
		Email:        c.Email,
		Phone:        cmp.Or(c.Phone, c.MobilePhone),
	})
}

// finish applies overrides and drops empty values (Salesforce would store
// them as null anyway, and an empty picklist value is refused).
func finish(f, overrides map[string]string) map[string]string {
	for k, v := range overrides {
		f[k] = v
	}
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	return f
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
