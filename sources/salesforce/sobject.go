package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// saveResult is Salesforce's answer to a create, alone or in a collection.
type saveResult struct {
	ID      string      `json:"id"`
	Success bool        `json:"success"`
	Errors  []wireError `json:"errors"`
}

// err returns the record's first error as an *APIError, nil on success.
func (r *saveResult) err(status int) error {
	if r.Success {
		return nil
	}
	if len(r.Errors) == 0 {
		return &APIError{Status: status, Code: "UNKNOWN_EXCEPTION", Message: "record failed without an error"}
	}
	return r.Errors[0].apiError(status)
}

func sobjectPath(sobject string, id ...string) string {
	p := "/sobjects/" + url.PathEscape(sobject)
	for _, s := range id {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// Create creates one record and returns its id.
func (c *Client) Create(ctx context.Context, sobject string, fields map[string]any) (string, error) {
	var res saveResult
	if err := c.doJSON(ctx, http.MethodPost, sobjectPath(sobject), nil, fields, &res); err != nil {
		return "", fmt.Errorf("create %s: %w", sobject, err)
	}
	if err := res.err(http.StatusCreated); err != nil {
		return "", fmt.Errorf("create %s: %w", sobject, err)
	}
	return res.ID, nil
}

// Update changes fields of one record; nil values clear fields. It returns
// an error matching sync.ErrNotFound when the record does not exist.
func (c *Client) Update(ctx context.Context, sobject, id string, fields map[string]any) error {
	if err := c.doJSON(ctx, http.MethodPatch, sobjectPath(sobject, id), nil, fields, nil); err != nil {
		return fmt.Errorf("update %s %s: %w", sobject, id, err)
	}
	return nil
}

// Delete deletes one record (it goes to the recycle bin).
func (c *Client) Delete(ctx context.Context, sobject, id string) error {
	if err := c.doJSON(ctx, http.MethodDelete, sobjectPath(sobject, id), nil, nil, nil); err != nil {
		return fmt.Errorf("delete %s %s: %w", sobject, id, err)
	}
	return nil
}

// Get reads one record; fields empty reads all of them. It returns an error
// matching sync.ErrNotFound when the record does not exist.
func (c *Client) Get(ctx context.Context, sobject, id string, fields []string) (Record, error) {
	var q url.Values
	if len(fields) > 0 {
		q = url.Values{"fields": {strings.Join(fields, ",")}}
	}
	var rec Record
	if err := c.doJSON(ctx, http.MethodGet, sobjectPath(sobject, id), q, nil, &rec); err != nil {
		return nil, fmt.Errorf("get %s %s: %w", sobject, id, err)
	}
	return rec, nil
}
