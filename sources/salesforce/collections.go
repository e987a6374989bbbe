package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	contactsync "github.com/contactsync/contactsync/sync"
)

// CollectionLimit is the most records one sObject Collections call takes.
const CollectionLimit = 200

// collectionRequest is the body of a Collections create or update.
type collectionRequest struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

// CreateRecords creates records of one sObject type in Collections calls of
// at most 200 with allOrNone false, returning one result per record in
// order. Per-record failures are in WriteResult.Err as *APIError (a
// DUPLICATES_DETECTED one also unwraps to a *sync.DuplicateError); the
// returned error is for a call that failed as a whole, with the results of
// the calls before it.
func (c *Client) CreateRecords(ctx context.Context, sobject string, records []map[string]any) ([]contactsync.WriteResult, error) {
	return c.saveRecords(ctx, http.MethodPost, sobject, records, func(r map[string]any) map[string]any {
		out := make(map[string]any, len(r)+1)
		for k, v := range r {
			out[k] = v
		}
		out["attributes"] = map[string]string{"type": sobject}
		return out
	})
}

// UpdateRecords updates records (each carrying its "Id") in Collections
// calls of at most 200 with allOrNone false. Results are as for
// CreateRecords; a deleted or missing record's error matches
// sync.ErrNotFound.
func (c *Client) UpdateRecords(ctx context.Context, sobject string, records []map[string]any) ([]contactsync.WriteResult, error) {
	return c.saveRecords(ctx, http.MethodPatch, sobject, records, func(r map[string]any) map[string]any {
		out := make(map[string]any, len(r)+1)
		for k, v := range r {
			out[k] = v
		}
		out["attributes"] = map[string]string{"type": sobject}
		return out
	})
}

func (c *Client) saveRecords(ctx context.Context, method, sobject string, records []map[string]any, wire func(map[string]any) map[string]any) ([]contactsync.WriteResult, error) {
	results := make([]contactsync.WriteResult, 0, len(records))
	for start := 0; start < len(records); start += CollectionLimit {
		chunk := records[start:min(start+CollectionLimit, len(records))]
		body := collectionRequest{Records: make([]map[string]any, len(chunk))}
		for i, r := range chunk {
			body.Records[i] = wire(r)
		}
		var res []saveResult
		if err := c.doJSON(ctx, method, "/composite/sobjects", nil, body, &res); err != nil {
			return results, fmt.Errorf("%s %s records: %w", strings.ToLower(method), sobject, err)
		}
		if len(res) != len(chunk) {
			return results, fmt.Errorf("%s %s records: %d results for %d records", strings.ToLower(method), sobject, len(res), len(chunk))
		}
		for i := range res {
			id := res[i].ID
			if id == "" && method == http.MethodPatch {
				id, _ = chunk[i]["Id"].(string)
			}
			results = append(results, contactsync.WriteResult{ID: id, Err: res[i].err(http.StatusOK)})
		}
	}
	return results, nil
}

// DeleteRecords deletes records by id in Collections calls of at most 200
// with allOrNone false; results are as for CreateRecords.
func (c *Client) DeleteRecords(ctx context.Context, ids []string) ([]contactsync.WriteResult, error) {
	results := make([]contactsync.WriteResult, 0, len(ids))
	for start := 0; start < len(ids); start += CollectionLimit {
		chunk := ids[start:min(start+CollectionLimit, len(ids))]
		q := url.Values{"ids": {strings.Join(chunk, ",")}, "allOrNone": {"false"}}
		var res []saveResult
		if err := c.doJSON(ctx, http.MethodDelete, "/composite/sobjects", q, nil, &res); err != nil {
			return results, fmt.Errorf("delete records: %w", err)
		}
		if len(res) != len(chunk) {
			return results, fmt.Errorf("delete records: %d results for %d ids", len(res), len(chunk))
		}
		for i := range res {
			id := res[i].ID
			if id == "" {
				id = chunk[i]
			}
			results = append(results, contactsync.WriteResult{ID: id, Err: res[i].err(http.StatusOK)})
		}
	}
	return results, nil
}

// retrieveRaw reads records by id with Collections retrieve (POST form, so
// long id lists fit), 200 ids a call; missing ids come back as null.
func (c *Client) retrieveRaw(ctx context.Context, sobject string, ids, fields []string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for start := 0; start < len(ids); start += CollectionLimit {
		chunk := ids[start:min(start+CollectionLimit, len(ids))]
		body := map[string]any{"ids": chunk, "fields": fields}
		var res []json.RawMessage
		r := &request{method: http.MethodPost, path: "/composite/sobjects/" + url.PathEscape(sobject), idempotent: true}
		if err := c.doRequest(ctx, r, body, &res); err != nil {
			return out, fmt.Errorf("retrieve %s records: %w", sobject, err)
		}
		out = append(out, res...)
	}
	return out, nil
}

// RetrieveRecords reads records by id with sObject Collections retrieve.
// The result has one entry per id, in order; nil for an id that does not
// exist.
func (c *Client) RetrieveRecords(ctx context.Context, sobject string, ids, fields []string) ([]Record, error) {
	raw, err := c.retrieveRaw(ctx, sobject, ids, fields)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(raw))
	for i, m := range raw {
		if err := json.Unmarshal(m, &out[i]); err != nil {
			return nil, fmt.Errorf("retrieve %s records: %w", sobject, err)
		}
	}
	return out, nil
}
