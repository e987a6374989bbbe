package salesforcetest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EndpointJobs names Bulk API 2.0 query job requests (create, info, results,
// abort, delete, list) in Stats.ByEndpoint and Fault.Endpoint. Each one is
// one API call, as in Salesforce.
const EndpointJobs = "jobs"

// Bulk API 2.0 query job states.
const (
	JobUploadComplete = "UploadComplete"
	JobInProgress     = "InProgress"
	JobComplete       = "JobComplete"
	JobFailed         = "Failed"
	JobAborted        = "Aborted"
)

const (
	jobKeyPrefix = "750"
	// defaultBulkDelay is how long a query job takes from creation to
	// JobComplete when Options.BulkQueryDelay is zero.
	defaultBulkDelay = 100 * time.Millisecond
	// defaultMaxRecords stands in for Salesforce's size limit on one set of
	// results when the client sends no maxRecords.
	defaultMaxRecords = 100000
	// bulkRenderChunk rows are rendered per read lock, so that streaming a
	// large page to a slow client never blocks writers for long.
	bulkRenderChunk = 1000
	// bulkTimeLayout is how Bulk API 2.0 writes datetimes in CSV.
	bulkTimeLayout = "2006-01-02T15:04:05.000Z"
)

// QueryJobInfo is a Bulk API 2.0 query job as the jobs resource describes
// it. The fields after ColumnDelimiter appear in job info, not in the
// response to creation.
type QueryJobInfo struct {
	ID                     string      `json:"id"`
	Operation              string      `json:"operation"`
	Object                 string      `json:"object"`
	CreatedByID            string      `json:"createdById"`
	CreatedDate            string      `json:"createdDate"`
	SystemModstamp         string      `json:"systemModstamp"`
	State                  string      `json:"state"`
	ConcurrencyMode        string      `json:"concurrencyMode"`
	ContentType            string      `json:"contentType"`
	APIVersion             json.Number `json:"apiVersion"`
	JobType                string      `json:"jobType,omitempty"`
	LineEnding             string      `json:"lineEnding"`
	ColumnDelimiter        string      `json:"columnDelimiter"`
	NumberRecordsProcessed *int        `json:"numberRecordsProcessed,omitempty"`
	Retries                *int        `json:"retries,omitempty"`
	TotalProcessingTime    *int64      `json:"totalProcessingTime,omitempty"`
	IsPkChunkingSupported  *bool       `json:"isPkChunkingSupported,omitempty"`
	ErrorMessage           string      `json:"errorMessage,omitempty"`
}

// bulkJob is one query job. Its result is a snapshot of the matching
// sequence numbers taken at completion; rows are rendered per results page.
type bulkJob struct {
	info    QueryJobInfo
	q       *soqlQuery
	all     bool
	version string    // the API version it was created with, like "v62.0"
	started time.Time // wall clock: jobs progress in real time even under a frozen org clock
	delay   time.Duration
	delim   byte
	eol     string
	failMsg string // set when the job is to fail at completion
	seqs    []uint32
	done    bool // seqs is the snapshot (or the job failed or was aborted)
}

// bulkState holds the org's query jobs. It is guarded by s.ctl.
type bulkState struct {
	jobs     map[string]*bulkJob
	seq      uint32
	failNext int
	failMsg  string
}

// FailBulkJobs makes the next n query jobs end in state Failed with the
// given errorMessage instead of completing.
func (s *Server) FailBulkJobs(n int, message string) {
	if message == "" {
		message = "InternalServerError : Query job failed: the query timed out"
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.bulk.failNext, s.bulk.failMsg = n, message
}

// QueryJobs returns the org's query jobs, oldest first, with their current
// state.
func (s *Server) QueryJobs() []QueryJobInfo {
	ids := s.jobIDs()
	out := make([]QueryJobInfo, 0, len(ids))
	for _, id := range ids {
		if info, ok := s.jobInfo(id); ok {
			out = append(out, info)
		}
	}
	return out
}

func (s *Server) jobIDs() []string {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	ids := make([]string, 0, len(s.bulk.jobs))
	for id := range s.bulk.jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids) // ids grow with the sequence number
	return ids
}

// bulkRoutes registers the query job resources and their test control.
func (s *Server) bulkRoutes(mux *http.ServeMux, rest func(pattern, endpoint string, methods map[string]restHandler)) {
	rest("/jobs/query", EndpointJobs, map[string]restHandler{"GET": s.handleJobList, "POST": s.handleJobCreate})
	rest("/jobs/query/{job}", EndpointJobs, map[string]restHandler{
		"GET": s.handleJobGet, "PATCH": s.handleJobAbort, "DELETE": s.handleJobDelete})
	rest("/jobs/query/{job}/results", EndpointJobs, map[string]restHandler{"GET": s.handleJobResults})
	mux.HandleFunc("POST /__sim/bulk-fail", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Next    int    `json:"next"`
			Message string `json:"message"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Next < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"next\": n, \"message\": \"…\"}"})
			return
		}
		s.FailBulkJobs(req.Next, req.Message)
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

var bulkDelimiters = map[string]byte{"COMMA": ',', "BACKQUOTE": '`', "CARET": '^', "PIPE": '|', "SEMICOLON": ';', "TAB": '\t'}

// handleJobCreate serves POST /jobs/query.
func (s *Server) handleJobCreate(w http.ResponseWriter, r *http.Request, c *call) {
	var req struct {
		Operation       string `json:"operation"`
		Query           string `json:"query"`
		ContentType     string `json:"contentType"`
		ColumnDelimiter string `json:"columnDelimiter"`
		LineEnding      string `json:"lineEnding"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErrors(w, http.StatusBadRequest, newError("JSON_PARSER_ERROR", "Unexpected character in request body: %v", err))
		return
	}
	bad := func(msg string) { writeErrors(w, http.StatusBadRequest, newError("INVALIDJOB", "%s", msg)) }
	if req.Operation != "query" && req.Operation != "queryAll" {
		bad("InvalidJob : Invalid operation: " + req.Operation)
		return
	}
	if req.ContentType == "" {
		req.ContentType = "CSV"
	}
	if req.ContentType != "CSV" {
		bad("InvalidJob : Invalid content type: " + req.ContentType)
		return
	}
	if req.ColumnDelimiter == "" {
		req.ColumnDelimiter = "COMMA"
	}
	delim, ok := bulkDelimiters[req.ColumnDelimiter]
	if !ok {
		bad("InvalidJob : Invalid column delimiter: " + req.ColumnDelimiter)
		return
	}
	if req.LineEnding == "" {
		req.LineEnding = "LF"
	}
	if req.LineEnding != "LF" && req.LineEnding != "CRLF" {
		bad("InvalidJob : Invalid line ending: " + req.LineEnding)
		return
	}
	if strings.TrimSpace(req.Query) == "" {
		writeErrors(w, http.StatusBadRequest, newError("API_ERROR", "query is required"))
		return
	}
	if msg := unsupportedInBulk(req.Query); msg != "" {
		writeErrors(w, http.StatusBadRequest, newError("API_ERROR", "%s", msg))
		return
	}
	s.mu.RLock()
	q, qerr := s.parseSOQL(req.Query)
	s.mu.RUnlock()
	if qerr != nil {
		writeErrors(w, http.StatusBadRequest, &Error{ErrorCode: qerr.code, Message: qerr.message(req.Query)})
		return
	}
	if q.count {
		writeErrors(w, http.StatusBadRequest, newError("API_ERROR", "Aggregate queries are not supported in Bulk API 2.0 query jobs"))
		return
	}

	now := formatTime(s.nowSec())
	job := &bulkJob{q: q, all: req.Operation == "queryAll", version: c.version, started: time.Now(),
		delay: s.opts.BulkQueryDelay, delim: delim, eol: "\n"}
	if job.delay == 0 {
		job.delay = defaultBulkDelay
	}
	if req.LineEnding == "CRLF" {
		job.eol = "\r\n"
	}
	job.info = QueryJobInfo{Operation: req.Operation, Object: q.obj.Name, CreatedByID: makeID("005", c.user),
		CreatedDate: now, SystemModstamp: now, State: JobUploadComplete, ConcurrencyMode: "Parallel",
		ContentType: "CSV", APIVersion: json.Number(strings.TrimPrefix(c.version, "v")),
		LineEnding: req.LineEnding, ColumnDelimiter: req.ColumnDelimiter}
	s.ctl.Lock()
	if s.bulk.jobs == nil {
		s.bulk.jobs = make(map[string]*bulkJob)
	}
	s.bulk.seq++
	job.info.ID = makeID(jobKeyPrefix, s.bulk.seq)
	if s.bulk.failNext > 0 {
		s.bulk.failNext--
		job.failMsg = s.bulk.failMsg
	}
	s.bulk.jobs[job.info.ID] = job
	info := job.info
	s.ctl.Unlock()
	writeJSON(w, http.StatusOK, info)
}

// unsupportedInBulk reports, worded after Salesforce, what Bulk API 2.0
// refuses in a query: GROUP BY, OFFSET, TYPEOF, aggregate functions and
// FIELDS(). ORDER BY and LIMIT are accepted (they disable PK chunking).
func unsupportedInBulk(q string) string {
	toks, err := lex(q)
	if err != nil {
		return "" // the parser reports it
	}
	for i, t := range toks {
		next := token{}
		if i+1 < len(toks) {
			next = toks[i+1]
		}
		switch {
		case t.is("GROUP") && next.is("BY"):
			return "GROUP BY is not supported in Bulk API 2.0 query jobs"
		case t.is("OFFSET"):
			return "OFFSET is not supported in Bulk API 2.0 query jobs"
		case t.is("TYPEOF"):
			return "TYPEOF is not supported in Bulk API 2.0 query jobs"
		case t.is("FIELDS") && next.is("("):
			return "FIELDS() is not supported in Bulk API 2.0 query jobs"
		case next.is("(") && t.kind == tokIdent:
			switch strings.ToUpper(t.text) {
			case "COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX":
				return "Aggregate queries are not supported in Bulk API 2.0 query jobs"
			}
		}
	}
	return ""
}

// job returns the job named by the request, advanced to its current state,
// or answers 404.
func (s *Server) job(w http.ResponseWriter, r *http.Request) (*bulkJob, bool) {
	id := r.PathValue("job")
	if _, ok := s.jobInfo(id); !ok {
		writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
		return nil, false
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	j := s.bulk.jobs[id]
	if j == nil { // deleted meanwhile
		writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
		return nil, false
	}
	return j, true
}

// jobInfo advances job id to its state now and returns its info.
func (s *Server) jobInfo(id string) (QueryJobInfo, bool) {
	s.ctl.Lock()
	j := s.bulk.jobs[id]
	if j == nil {
		s.ctl.Unlock()
		return QueryJobInfo{}, false
	}
	elapsed := time.Since(j.started)
	due := !j.done && elapsed >= j.delay
	if !j.done && !due && elapsed >= j.delay/2 {
		j.info.State = JobInProgress
	}
	s.ctl.Unlock()
	if due {
		s.completeJob(j)
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	info := j.info
	zero := 0
	if info.NumberRecordsProcessed == nil {
		info.NumberRecordsProcessed, info.Retries = &zero, &zero
		var ms int64
		info.TotalProcessingTime = &ms
	}
	chunk := true
	info.IsPkChunkingSupported, info.JobType = &chunk, "V2Query"
	return info, true
}

// completeJob takes the job's snapshot, or fails it. Lock order is s.mu
// before s.ctl, as everywhere.
func (s *Server) completeJob(j *bulkJob) {
	s.mu.RLock()
	var seqs []uint32
	if j.failMsg == "" {
		seqs = s.run(j.q, j.all)
	}
	s.mu.RUnlock()
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if j.done { // completed by a concurrent request, or aborted
		return
	}
	j.done = true
	n, retries, ms := len(seqs), 0, max(j.delay.Milliseconds(), 0)
	j.info.NumberRecordsProcessed, j.info.Retries, j.info.TotalProcessingTime = &n, &retries, &ms
	j.info.SystemModstamp = formatTime(s.nowSec())
	if j.failMsg != "" {
		zero := 0
		j.info.State, j.info.ErrorMessage, j.info.NumberRecordsProcessed = JobFailed, j.failMsg, &zero
		return
	}
	j.seqs, j.info.State = seqs, JobComplete
}

// handleJobGet serves GET /jobs/query/{job}.
func (s *Server) handleJobGet(w http.ResponseWriter, r *http.Request, c *call) {
	info, ok := s.jobInfo(r.PathValue("job"))
	if !ok {
		writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// handleJobList serves GET /jobs/query.
func (s *Server) handleJobList(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, struct {
		Done           bool           `json:"done"`
		Records        []QueryJobInfo `json:"records"`
		NextRecordsURL *string        `json:"nextRecordsUrl"`
	}{true, s.QueryJobs(), nil})
}

// handleJobAbort serves PATCH /jobs/query/{job} with {"state":"Aborted"}.
func (s *Server) handleJobAbort(w http.ResponseWriter, r *http.Request, c *call) {
	var req struct {
		State string `json:"state"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.State != JobAborted {
		writeErrors(w, http.StatusBadRequest, newError("INVALIDJOB", "InvalidJob : Invalid state: %s", req.State))
		return
	}
	j, ok := s.job(w, r)
	if !ok {
		return
	}
	s.ctl.Lock()
	if j.done {
		state := j.info.State
		s.ctl.Unlock()
		writeErrors(w, http.StatusBadRequest, newError("INVALIDJOB",
			"InvalidJob : Job %s is in state %s and cannot be aborted", j.info.ID, state))
		return
	}
	j.done, j.info.State = true, JobAborted
	j.info.SystemModstamp = formatTime(s.nowSec())
	s.ctl.Unlock()
	info, _ := s.jobInfo(j.info.ID)
	writeJSON(w, http.StatusOK, info)
}

// handleJobDelete serves DELETE /jobs/query/{job}. A job still running must
// be aborted first.
func (s *Server) handleJobDelete(w http.ResponseWriter, r *http.Request, c *call) {
	j, ok := s.job(w, r)
	if !ok {
		return
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if j.info.State == JobInProgress && !j.done {
		writeErrors(w, http.StatusBadRequest, newError("INVALIDJOB",
			"InvalidJob : Job %s is in progress; abort it before deleting it", j.info.ID))
		return
	}
	delete(s.bulk.jobs, j.info.ID)
	w.WriteHeader(http.StatusNoContent)
}

// handleJobResults serves GET /jobs/query/{job}/results?maxRecords=&locator=
// as CSV: a header row in the query's column order, then one row per record,
// every value quoted, null as an empty value. The locator is the base64 of
// the next offset, as Salesforce's look; "null" on the last set.
func (s *Server) handleJobResults(w http.ResponseWriter, r *http.Request, c *call) {
	j, ok := s.job(w, r)
	if !ok {
		return
	}
	s.ctl.Lock()
	state, version, seqs := j.info.State, j.version, j.seqs
	s.ctl.Unlock()
	if version != c.version {
		writeErrors(w, http.StatusConflict, newError("API_ERROR",
			"Use the API version the job was created with (%s) to get its results", version))
		return
	}
	if state != JobComplete {
		writeErrors(w, http.StatusBadRequest, newError("INVALIDJOB",
			"InvalidJob : Job %s is in state %s; results are available in state JobComplete", j.info.ID, state))
		return
	}
	max := defaultMaxRecords
	if v := r.URL.Query().Get("maxRecords"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			writeErrors(w, http.StatusBadRequest, newError("INVALIDJOB", "InvalidJob : Invalid maxRecords: %s", v))
			return
		}
		max = n
	}
	offset := 0
	if loc := r.URL.Query().Get("locator"); loc != "" && loc != "null" {
		b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(loc, "="))
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > len(seqs) {
			writeErrors(w, http.StatusBadRequest, newError("INVALIDJOB", "InvalidJob : Invalid locator: %s", loc))
			return
		}
		offset = n
	}
	end := min(offset+max, len(seqs))
	next := "null"
	if end < len(seqs) {
		next = base64.RawStdEncoding.EncodeToString(strconv.AppendInt(nil, int64(end), 10))
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv")
	h.Set("Sforce-NumberOfRecords", strconv.Itoa(end-offset))
	h.Set("Sforce-Locator", next)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	s.writeCSV(w, j, seqs[offset:end])
}

// writeCSV streams the header and rows, rendering bulkRenderChunk rows per
// read lock into one reused buffer.
func (s *Server) writeCSV(w http.ResponseWriter, j *bulkJob, seqs []uint32) {
	q := j.q
	b := make([]byte, 0, 64<<10)
	for i, f := range q.fields {
		if i > 0 {
			b = append(b, j.delim)
		}
		b = appendCSV(b, []byte(f.Name))
	}
	b = append(b, j.eol...)
	gets := make([]getter, len(q.fields))
	for i, f := range q.fields {
		gets[i] = s.getterFor(q.obj, f)
	}
	var scratch []byte
	for len(seqs) > 0 {
		n := min(bulkRenderChunk, len(seqs))
		s.mu.RLock()
		for _, seq := range seqs[:n] {
			if int(seq) > len(q.obj.recs) {
				continue // the org was reset under the job
			}
			rec := &q.obj.recs[seq-1]
			for i, get := range gets {
				if i > 0 {
					b = append(b, j.delim)
				}
				scratch = appendBulkValue(scratch[:0], q.obj, get(seq, rec))
				b = appendCSV(b, scratch)
			}
			b = append(b, j.eol...)
		}
		s.mu.RUnlock()
		seqs = seqs[n:]
		if _, err := w.Write(b); err != nil {
			return
		}
		b = b[:0]
	}
	if len(b) > 0 {
		_, _ = w.Write(b)
	}
}

// appendBulkValue appends a value as Bulk API 2.0 writes it, unquoted.
func appendBulkValue(b []byte, o *object, v value) []byte {
	switch {
	case v.k == kindBoolean:
		return strconv.AppendBool(b, v.n != 0)
	case v.null:
		return b
	case v.k == kindID:
		return appendID(b, o.Prefix, uint32(v.n))
	case v.k == kindDateTime:
		return time.Unix(v.n, 0).UTC().AppendFormat(b, bulkTimeLayout)
	}
	return append(b, v.s...)
}

// appendCSV appends v as a quoted CSV field, doubling quotes (RFC 4180).
func appendCSV(b, v []byte) []byte {
	b = append(b, '"')
	for {
		i := bytes.IndexByte(v, '"')
		if i < 0 {
			break
		}
		b = append(b, v[:i+1]...)
		b = append(b, '"')
		v = v[i+1:]
	}
	b = append(b, v...)
	return append(b, '"')
}
