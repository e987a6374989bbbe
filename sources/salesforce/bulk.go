package salesforce

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Bulk API 2.0 query job states.
const (
	JobUploadComplete = "UploadComplete"
	JobInProgress     = "InProgress"
	JobComplete       = "JobComplete"
	JobFailed         = "Failed"
	JobAborted        = "Aborted"
)

// BulkOptions tune a Bulk API 2.0 query.
type BulkOptions struct {
	// All runs a queryAll job, which also returns deleted and merged-away
	// records.
	All bool
	// MaxRecords is the most records asked for per results request. Zero
	// means 100,000: a million records in ten calls, each a streamed
	// response well below Salesforce's timeouts.
	MaxRecords int
	// PageSize is the most records handed to fn at once. Zero means 2,000,
	// the REST path's page size, so both feed the engine alike.
	PageSize int
	// PollInterval is the first wait before asking for the job's state;
	// each further wait doubles, up to MaxPollInterval. Zero means 500 ms
	// and 10 s.
	PollInterval, MaxPollInterval time.Duration
	// OnCreate, when set, is called once the job exists, with its id and
	// Salesforce's createdDate: the snapshot the results reflect is taken
	// after it, so it bounds where an incremental cursor may resume.
	OnCreate func(jobID string, created time.Time)
}

func (o BulkOptions) withDefaults() BulkOptions {
	if o.MaxRecords <= 0 {
		o.MaxRecords = 100000
	}
	if o.PageSize <= 0 {
		o.PageSize = 2000
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.MaxPollInterval <= 0 {
		o.MaxPollInterval = 10 * time.Second
	}
	o.MaxPollInterval = max(o.MaxPollInterval, o.PollInterval)
	return o
}

// ErrBulkJobFailed matches a *BulkJobError: the query job ended Failed or
// Aborted. The same query usually works over REST.
var ErrBulkJobFailed = errors.New("salesforce: bulk query job did not complete")

// BulkJobError reports a query job that ended without results.
type BulkJobError struct {
	JobID string
	// State is Failed or Aborted.
	State string
	// Message is the job's errorMessage.
	Message string
}

func (e *BulkJobError) Error() string {
	msg := "salesforce: bulk query job " + e.JobID + " " + e.State
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is matches ErrBulkJobFailed.
func (e *BulkJobError) Is(target error) bool { return target == ErrBulkJobFailed }

// bulkJob is the part of a query job's info the client reads.
type bulkJob struct {
	ID                     string `json:"id"`
	State                  string `json:"state"`
	CreatedDate            string `json:"createdDate"`
	ErrorMessage           string `json:"errorMessage"`
	NumberRecordsProcessed int    `json:"numberRecordsProcessed"`
}

// BulkQuery runs soql as a Bulk API 2.0 query job over Contact and hands the
// records to fn, decoded like the REST path decodes them, at most
// opts.PageSize at a time, while each results set streams in. It creates
// the job, polls it with exponential backoff, reads the results set by set
// (maxRecords, Sforce-Locator) and deletes the job at the end, whatever
// happened (best effort; a running job is aborted first).
//
// Results are in no particular order unless soql has ORDER BY (which
// Salesforce discourages: it disables PK chunking). A job that ends Failed
// or Aborted returns a *BulkJobError (errors.Is ErrBulkJobFailed); a query
// Bulk API 2.0 refuses (COUNT(), GROUP BY, OFFSET, …) returns the
// *APIError of the create call. An error from fn stops the query and is
// returned as is.
func (c *Client) BulkQuery(ctx context.Context, soql string, opts BulkOptions, fn func(records []contactsync.SalesforceContact) error) error {
	opts = opts.withDefaults()
	op := "query"
	if opts.All {
		op = "queryAll"
	}
	var job bulkJob
	err := c.doJSON(ctx, http.MethodPost, "/jobs/query", nil, map[string]string{
		"operation": op, "query": soql, "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF",
	}, &job)
	if err != nil {
		return fmt.Errorf("bulk query: create job: %w", err)
	}
	if job.ID == "" {
		return errors.New("bulk query: create job: no job id in the response")
	}
	finished := false
	defer func() { c.cleanupJob(ctx, job.ID, finished) }()
	if opts.OnCreate != nil {
		opts.OnCreate(job.ID, parseDateTime(job.CreatedDate))
	}

	finished, err = c.waitJob(ctx, job.ID, opts)
	if err != nil {
		return err
	}
	path := "/jobs/query/" + job.ID + "/results"
	locator := ""
	for {
		q := url.Values{"maxRecords": {strconv.Itoa(opts.MaxRecords)}}
		if locator != "" {
			q.Set("locator", locator)
		}
		resp, err := c.do(ctx, &request{method: http.MethodGet, path: path, query: q,
			header: http.Header{"Accept": {"text/csv"}}})
		if err != nil {
			return fmt.Errorf("bulk query: results: %w", err)
		}
		err = readBulkResults(resp, opts.PageSize, fn)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		locator = resp.Header.Get("Sforce-Locator")
		if locator == "" || locator == "null" {
			return nil
		}
	}
}

// waitJob polls until the job is JobComplete. It reports whether the job
// reached a final state, which spares the abort on cleanup.
func (c *Client) waitJob(ctx context.Context, id string, opts BulkOptions) (bool, error) {
	wait := opts.PollInterval
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, fmt.Errorf("bulk query: wait for job %s: %w", id, ctx.Err())
		case <-t.C:
		}
		var job bulkJob
		if err := c.doJSON(ctx, http.MethodGet, "/jobs/query/"+id, nil, nil, &job); err != nil {
			return false, fmt.Errorf("bulk query: job %s: %w", id, err)
		}
		switch job.State {
		case JobComplete:
			return true, nil
		case JobFailed, JobAborted:
			return true, fmt.Errorf("bulk query: %w", &BulkJobError{JobID: id, State: job.State, Message: job.ErrorMessage})
		}
		wait = min(wait*2, opts.MaxPollInterval)
	}
}

// cleanupJob aborts the job unless it finished, then deletes it. It runs
// after the caller's context may have ended, so it has its own deadline;
// failures only cost storage Salesforce frees after seven days.
func (c *Client) cleanupJob(ctx context.Context, id string, finished bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if !finished {
		if err := c.doJSON(ctx, http.MethodPatch, "/jobs/query/"+id, nil, map[string]string{"state": JobAborted}, nil); err != nil {
			c.log.WarnContext(ctx, "salesforce bulk query job not aborted", "job", id, "error", err.Error())
		}
	}
	if err := c.doJSON(ctx, http.MethodDelete, "/jobs/query/"+id, nil, nil, nil); err != nil {
		c.log.WarnContext(ctx, "salesforce bulk query job not deleted", "job", id, "error", err.Error())
	}
}

// readBulkResults decodes one results set: a header row, then records,
// handed to fn pageSize at a time as they are read. It checks the count
// against Sforce-NumberOfRecords, so a truncated body is an error rather
// than silently missing records.
func readBulkResults(resp *http.Response, pageSize int, fn func([]contactsync.SalesforceContact) error) error {
	r := csv.NewReader(bufio.NewReaderSize(resp.Body, 64<<10))
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bulk query: results header: %w", err)
	}
	cols := slices.Clone(header)
	page := make([]contactsync.SalesforceContact, 0, pageSize)
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("bulk query: results row %d: %w", n+1, err)
		}
		c := contactsync.SalesforceContact{Fields: make(map[string]string, len(cols))}
		for i, v := range rec {
			setContactField(&c, cols[i], v, parseBulkDateTime) // CSV writes null as ""
		}
		page = append(page, c)
		n++
		if len(page) == pageSize {
			if err := fn(page); err != nil {
				return err
			}
			page = make([]contactsync.SalesforceContact, 0, pageSize)
		}
	}
	if len(page) > 0 {
		if err := fn(page); err != nil {
			return err
		}
	}
	if h := resp.Header.Get("Sforce-NumberOfRecords"); h != "" {
		if want, err := strconv.Atoi(h); err == nil && want != n {
			return fmt.Errorf("bulk query: results set has %d records, Sforce-NumberOfRecords says %d", n, want)
		}
	}
	return nil
}

// parseBulkDateTime reads Bulk CSV's datetimes (2024-01-02T03:04:05.000Z)
// with one parse, falling back to the REST forms.
func parseBulkDateTime(v string) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC()
	}
	return parseDateTime(v)
}
