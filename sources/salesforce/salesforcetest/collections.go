package salesforcetest

import (
	"net/http"
	"strings"
)

// maxCollection is the most records one sObject Collections call takes.
const maxCollection = 200

// saveResult is one entry of a Collections response. Its errors use
// statusCode, not errorCode.
type saveResult struct {
	ID      string        `json:"id,omitempty"`
	Success bool          `json:"success"`
	Errors  []recordError `json:"errors"`
}

type recordError struct {
	StatusCode string           `json:"statusCode"`
	Message    string           `json:"message"`
	Fields     []string         `json:"fields"`
	Duplicate  *duplicateResult `json:"duplicateResult,omitempty"`
}

func failed(errs ...*Error) saveResult {
	out := saveResult{Errors: make([]recordError, len(errs))}
	for i, e := range errs {
		f := e.Fields
		if f == nil {
			f = []string{}
		}
		out.Errors[i] = recordError{StatusCode: e.ErrorCode, Message: e.Message, Fields: f, Duplicate: e.Duplicate}
	}
	return out
}

type collectionRequest struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

func tooMany(w http.ResponseWriter) {
	writeErrors(w, http.StatusBadRequest, newError("EXCEEDED_ID_LIMIT",
		"record limit reached. cannot submit more than %d records into this call", maxCollection))
}

// recordFault returns the injected per-record failure for the next record,
// if one fires.
func (s *Server) recordFault() *Error {
	f := s.fault(EndpointComposite, true)
	if f == nil {
		return nil
	}
	msg := f.Message
	if msg == "" {
		msg = "unable to obtain exclusive access to this record or 1 records"
	}
	return &Error{ErrorCode: f.RecordCode, Message: msg, Fields: []string{}}
}

// objectOf returns the object a record of a Collections body names.
func (s *Server) objectOf(rec map[string]any) (*object, *Error) {
	attrs, _ := rec["attributes"].(map[string]any)
	typ, _ := attrs["type"].(string)
	if typ == "" {
		return nil, newError("INVALID_TYPE", "Must send a concrete entity type.")
	}
	o := s.object(typ)
	if o == nil {
		return nil, newError("INVALID_TYPE", "sObject type '%s' is not supported.", typ)
	}
	return o, nil
}

// recordID reads a record's id from "id" or "Id".
func recordID(rec map[string]any) string {
	for k, v := range rec {
		if strings.EqualFold(k, "id") {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// handleCollectionCreate serves POST /composite/sobjects.
func (s *Server) handleCollectionCreate(w http.ResponseWriter, r *http.Request, c *call) {
	s.collectionWrite(w, r, c, true)
}

// handleCollectionUpdate serves PATCH /composite/sobjects.
func (s *Server) handleCollectionUpdate(w http.ResponseWriter, r *http.Request, c *call) {
	s.collectionWrite(w, r, c, false)
}

func (s *Server) collectionWrite(w http.ResponseWriter, r *http.Request, c *call, insert bool) {
	var req collectionRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.Records) > maxCollection {
		tooMany(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowSec()
	results := make([]saveResult, len(req.Records))
	changes := make([]*change, len(req.Records))
	anyFailed := false
	for i, rec := range req.Records {
		ch, errs := s.prepareRecord(rec, insert)
		if len(errs) == 0 {
			if e := s.recordFault(); e != nil {
				errs = []*Error{e}
			}
		}
		if len(errs) > 0 {
			results[i], anyFailed = failed(errs...), true
			continue
		}
		changes[i] = ch
		if !req.AllOrNone {
			// Commit at once so that later records of the call see
			// this one, as the duplicate rule does in Salesforce.
			seq := s.commit(ch, c.user, now, nil)
			results[i] = saveResult{ID: makeID(ch.o.Prefix, seq), Success: true, Errors: []recordError{}}
		}
	}
	if req.AllOrNone {
		for i, ch := range changes {
			switch {
			case ch == nil:
			case anyFailed:
				results[i] = failed(&Error{ErrorCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK", Message: msgRolledBack})
			default:
				seq := s.commit(ch, c.user, now, nil)
				results[i] = saveResult{ID: makeID(ch.o.Prefix, seq), Success: true, Errors: []recordError{}}
			}
		}
	}
	writeJSON(w, http.StatusOK, results)
}

// prepareRecord validates one record of a Collections write. Callers hold
// s.mu.
func (s *Server) prepareRecord(rec map[string]any, insert bool) (*change, []*Error) {
	if insert {
		if recordID(rec) != "" {
			return nil, []*Error{newError("INVALID_FIELD", "cannot specify Id in an insert call")}
		}
		o, err := s.objectOf(rec)
		if err != nil {
			return nil, []*Error{err}
		}
		return s.prepareInsert(o, rec)
	}
	id := recordID(rec)
	if id == "" {
		return nil, []*Error{newError("MISSING_ARGUMENT", "Id not specified in an update call")}
	}
	prefix, seq, err := parseID(id)
	if err != nil {
		return nil, []*Error{newError("MALFORMED_ID", "malformed id %s", id)}
	}
	o := s.objectByPrefix(prefix)
	if o == nil || int(seq) > len(o.recs) {
		return nil, []*Error{newError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")}
	}
	if typed, terr := s.objectOf(rec); terr == nil && typed != o {
		return nil, []*Error{newError("INVALID_TYPE", "Must send a concrete entity type.")}
	}
	return s.prepareUpdate(o, seq, rec)
}

func (s *Server) objectByPrefix(prefix string) *object {
	for _, o := range s.objs {
		if o.Prefix == prefix {
			return o
		}
	}
	return nil
}

// handleCollectionDelete serves DELETE /composite/sobjects?ids=&allOrNone=.
func (s *Server) handleCollectionDelete(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	var ids []string
	for _, id := range strings.Split(q.Get("ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		writeErrors(w, http.StatusBadRequest, newError("MISSING_ARGUMENT", "ids parameter is required"))
		return
	}
	if len(ids) > maxCollection {
		tooMany(w)
		return
	}
	allOrNone := strings.EqualFold(q.Get("allOrNone"), "true")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowSec()
	results := make([]saveResult, len(ids))
	type target struct {
		o   *object
		seq uint32
	}
	targets := make([]*target, len(ids))
	anyFailed := false
	for i, id := range ids {
		prefix, seq, err := parseID(id)
		var e *Error
		o := s.objectByPrefix(prefix)
		switch {
		case err != nil:
			e = newError("MALFORMED_ID", "malformed id %s", id)
		case o == nil || int(seq) > len(o.recs):
			e = newError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
		default:
			e = s.live(o, seq)
		}
		if e == nil {
			e = s.recordFault()
		}
		if e != nil {
			results[i], anyFailed = failed(e), true
			continue
		}
		targets[i] = &target{o, seq}
		if !allOrNone {
			if e := s.remove(o, seq, 0, c.user, now); e != nil {
				results[i] = failed(e)
				continue
			}
			results[i] = saveResult{ID: makeID(o.Prefix, seq), Success: true, Errors: []recordError{}}
		}
	}
	if allOrNone {
		for i, t := range targets {
			switch {
			case t == nil:
			case anyFailed:
				results[i] = failed(&Error{ErrorCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK", Message: msgRolledBack})
			default:
				if e := s.remove(t.o, t.seq, 0, c.user, now); e != nil {
					results[i] = failed(e)
					continue
				}
				results[i] = saveResult{ID: makeID(t.o.Prefix, t.seq), Success: true, Errors: []recordError{}}
			}
		}
	}
	writeJSON(w, http.StatusOK, results)
}

// handleCollectionRetrieve serves GET /composite/sobjects/{sobject}?ids=&fields=
// and its POST form with a JSON body. Missing and deleted ids give null.
func (s *Server) handleCollectionRetrieve(w http.ResponseWriter, r *http.Request, c *call) {
	var req struct {
		IDs    []string `json:"ids"`
		Fields []string `json:"fields"`
	}
	if r.Method == http.MethodPost {
		if !decodeBody(w, r, &req) {
			return
		}
	} else {
		q := r.URL.Query()
		if ids := q.Get("ids"); ids != "" {
			req.IDs = strings.Split(ids, ",")
		}
		if f := q.Get("fields"); f != "" {
			req.Fields = strings.Split(f, ",")
		}
	}
	if len(req.IDs) == 0 || len(req.Fields) == 0 {
		writeErrors(w, http.StatusBadRequest, newError("MISSING_ARGUMENT", "ids and fields are required"))
		return
	}
	if len(req.IDs) > 2000 {
		tooMany(w)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.object(r.PathValue("sobject"))
	if o == nil {
		writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
		return
	}
	fields, ferr := s.selectFields(o, strings.Join(req.Fields, ","))
	if ferr != nil {
		writeErrors(w, http.StatusBadRequest, ferr)
		return
	}
	gets := s.getters(o, fields)
	b := []byte{'['}
	for i, id := range req.IDs {
		if i > 0 {
			b = append(b, ',')
		}
		prefix, seq, err := parseID(strings.TrimSpace(id))
		if err != nil || prefix != o.Prefix || int(seq) > len(o.recs) || o.recs[seq-1].deleted || o.recs[seq-1].purged {
			b = append(b, "null"...)
			continue
		}
		b = s.appendRecord(b, c.version, o, seq, fields, gets)
	}
	b = append(b, ']')
	writeRaw(w, http.StatusOK, b)
}
