package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// QueryOptions tune a query.
type QueryOptions struct {
	// BatchSize asks for pages of this many records (Salesforce accepts
	// 200 to 2000 and treats it as a hint). Zero leaves the default, 2000.
	BatchSize int
	// All uses queryAll, which also returns deleted and merged-away records.
	All bool
}

// Record is a record decoded generically. Prefer a typed row for large
// results.
type Record map[string]any

// pageInfo describes one page of a query result.
type pageInfo struct {
	// TotalSize is the number of records the whole query matches.
	TotalSize int
	// Done is true on the last page.
	Done bool
}

var errStop = errors.New("stop")

// Query runs soql and yields its result one page at a time, following
// nextRecordsUrl, decoding each record into a T (a struct, a Record, or a
// type implementing json.Unmarshaler) as the body streams in. Iteration
// stops at the first error, which is yielded with a nil page.
func Query[T any](ctx context.Context, c *Client, soql string, opts QueryOptions) iter.Seq2[[]T, error] {
	return func(yield func([]T, error) bool) {
		err := c.queryPages(ctx, soql, opts, func(body io.Reader) (string, error) {
			page, _, next, err := readPage[T](body)
			if err != nil {
				return "", err
			}
			if !yield(page, nil) {
				return "", errStop
			}
			return next, nil
		})
		if err != nil && err != errStop {
			yield(nil, err)
		}
	}
}

// Count runs a SELECT COUNT() query and returns the count.
func (c *Client) Count(ctx context.Context, soql string, opts QueryOptions) (int, error) {
	total := 0
	err := c.queryPages(ctx, soql, opts, func(body io.Reader) (string, error) {
		_, info, next, err := readPage[struct{}](body)
		total = info.TotalSize
		return next, err
	})
	return total, err
}

// queryPages sends the query and then one request per nextRecordsUrl,
// handing each response body to page, which returns the next URL.
func (c *Client) queryPages(ctx context.Context, soql string, opts QueryOptions, page func(body io.Reader) (next string, err error)) error {
	resource := "/query"
	if opts.All {
		resource = "/queryAll"
	}
	r := &request{method: http.MethodGet, path: resource, query: url.Values{"q": {soql}}}
	if opts.BatchSize > 0 {
		r.header = http.Header{"Sforce-Query-Options": {"batchSize=" + strconv.Itoa(opts.BatchSize)}}
	}
	for {
		resp, err := c.do(ctx, r)
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		next, err := page(resp.Body)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			if err == errStop {
				return err
			}
			return fmt.Errorf("query: %w", err)
		}
		if next == "" {
			return nil
		}
		u, err := url.Parse(next)
		if err != nil || u.Path == "" {
			return fmt.Errorf("query: bad nextRecordsUrl %q", next)
		}
		// nextRecordsUrl is a path on the instance host, version included.
		r = &request{method: http.MethodGet, path: u.Path, header: r.header}
		if u.RawQuery != "" {
			r.query, _ = url.ParseQuery(u.RawQuery)
		}
	}
}

// readPage decodes one query response, streaming the records array.
func readPage[T any](body io.Reader) (page []T, info pageInfo, next string, err error) {
	dec := json.NewDecoder(body)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, info, "", err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, info, "", err
		}
		key, _ := tok.(string)
		switch key {
		case "totalSize":
			err = dec.Decode(&info.TotalSize)
		case "done":
			err = dec.Decode(&info.Done)
		case "nextRecordsUrl":
			var s *string
			if err = dec.Decode(&s); s != nil {
				next = *s
			}
		case "records":
			page, err = decodeRecords[T](dec)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, info, "", fmt.Errorf("decode page: %w", err)
		}
	}
	if info.Done {
		next = ""
	}
	return page, info, next, nil
}

func decodeRecords[T any](dec *json.Decoder) ([]T, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("records: unexpected %v", tok)
	}
	out := make([]T, 0, 256)
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("unexpected JSON %v, want %v", tok, want)
	}
	return nil
}
