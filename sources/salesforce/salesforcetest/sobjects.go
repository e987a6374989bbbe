package salesforcetest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// decodeBody decodes a JSON request body, writing the Salesforce error for
// a malformed one.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		writeErrors(w, http.StatusBadRequest, newError("JSON_PARSER_ERROR",
			"Unexpected character: was expecting a valid JSON value at [line:1, column:1]"))
		return false
	}
	return true
}

// selectFields resolves a fields= parameter; empty means every field.
func (s *Server) selectFields(o *object, list string) ([]*fieldDef, *Error) {
	if strings.TrimSpace(list) == "" {
		return o.Fields, nil
	}
	var out []*fieldDef
	for _, name := range strings.Split(list, ",") {
		f := o.field(strings.TrimSpace(name))
		if f == nil {
			return nil, newError("INVALID_FIELD", "No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", strings.TrimSpace(name), o.Name)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

func (s *Server) getters(o *object, fields []*fieldDef) []getter {
	gets := make([]getter, len(fields))
	for i, f := range fields {
		gets[i] = s.getterFor(o, f)
	}
	return gets
}

// handleCreate serves POST /sobjects/{sobject}.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, c *call) {
	var fields map[string]any
	if !decodeBody(w, r, &fields) {
		return
	}
	s.mu.Lock()
	o := s.object(r.PathValue("sobject"))
	if o == nil {
		s.mu.Unlock()
		writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
		return
	}
	ch, errs := s.prepareInsert(o, fields)
	if len(errs) > 0 {
		s.mu.Unlock()
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}
	seq := s.commit(ch, c.user, s.nowSec(), nil)
	s.mu.Unlock()
	id := makeID(o.Prefix, seq)
	w.Header().Set("Location", recordURL(c.version, o.Name, id))
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "success": true, "errors": []any{}})
}

// handleGet serves GET /sobjects/{sobject}/{id}.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, seq, err := s.lookup(r.PathValue("sobject"), r.PathValue("id"))
	if err == nil && o.recs[seq-1].deleted {
		err = newError("NOT_FOUND", msgNotFound)
	}
	if err != nil {
		writeErrors(w, http.StatusNotFound, err)
		return
	}
	fields, ferr := s.selectFields(o, r.URL.Query().Get("fields"))
	if ferr != nil {
		writeErrors(w, http.StatusBadRequest, ferr)
		return
	}
	writeRaw(w, http.StatusOK, s.appendRecord(nil, c.version, o, seq, fields, s.getters(o, fields)))
}

// handleUpdate serves PATCH /sobjects/{sobject}/{id}.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, c *call) {
	var fields map[string]any
	if !decodeBody(w, r, &fields) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, seq, err := s.lookup(r.PathValue("sobject"), r.PathValue("id"))
	if err != nil {
		writeErrors(w, http.StatusNotFound, err)
		return
	}
	ch, errs := s.prepareUpdate(o, seq, fields)
	if len(errs) > 0 {
		status := http.StatusBadRequest
		if errs[0].ErrorCode == "ENTITY_IS_DELETED" || errs[0].ErrorCode == "NOT_FOUND" {
			status = http.StatusNotFound
		}
		writeErrors(w, status, errs...)
		return
	}
	s.commit(ch, c.user, s.nowSec(), nil)
	w.WriteHeader(http.StatusNoContent)
}

// handleDelete serves DELETE /sobjects/{sobject}/{id}.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, seq, err := s.lookup(r.PathValue("sobject"), r.PathValue("id"))
	if err == nil {
		err = s.remove(o, seq, 0, c.user, s.nowSec())
	}
	if err != nil {
		status := http.StatusNotFound
		if err.ErrorCode == "INSUFFICIENT_ACCESS_OR_READONLY" {
			status = http.StatusBadRequest
		}
		writeErrors(w, status, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleSObjectInfo serves GET /sobjects/{sobject}: basic information and
// recently viewed items (none).
func (s *Server) handleSObjectInfo(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	o := s.object(r.PathValue("sobject"))
	s.mu.RUnlock()
	if o == nil {
		writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"objectDescribe": s.objectSummary(c.version, o), "recentItems": []any{}})
}

func (s *Server) objectSummary(version string, o *object) map[string]any {
	base := "/services/data/" + version + "/sobjects/" + o.Name
	return map[string]any{
		"name": o.Name, "label": o.Label, "labelPlural": o.Label + "s", "keyPrefix": o.Prefix,
		"custom": false, "createable": o.Name != "User", "updateable": true, "deletable": o.deletable,
		"queryable": true, "retrieveable": true, "replicateable": true, "searchable": true,
		"urls": map[string]string{"sobject": base, "describe": base + "/describe",
			"rowTemplate": base + "/{ID}"},
	}
}

// handleDescribeGlobal serves GET /sobjects.
func (s *Server) handleDescribeGlobal(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	var objs []map[string]any
	for _, name := range []string{"account", "case", "contact", "lead", "user"} {
		objs = append(objs, s.objectSummary(c.version, s.objs[name]))
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objs})
}

// handleDescribe serves GET /sobjects/{sobject}/describe.
func (s *Server) handleDescribe(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	o := s.object(r.PathValue("sobject"))
	s.mu.RUnlock()
	if o == nil {
		writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
		return
	}
	var fields []map[string]any
	for _, f := range o.Fields {
		fd := map[string]any{
			"name": f.Name, "label": f.Label, "type": soapType[f.Kind], "length": f.Length,
			"nillable": !f.Required && f.Kind != kindBoolean && f.sys != sysID, "createable": f.writable(),
			"updateable": f.writable(), "custom": false, "filterable": true,
			"sortable": !(f.Kind == kindTextArea && f.Length > 255), "defaultedOnCreate": f.Default != "" || f.sys != sysNone,
			"referenceTo": []string{},
		}
		if f.Refers != "" {
			fd["referenceTo"] = []string{f.Refers}
		}
		fields = append(fields, fd)
	}
	d := s.objectSummary(c.version, o)
	d["fields"] = fields
	writeJSON(w, http.StatusOK, d)
}

// replicationRange parses the start and end parameters of the updated and
// deleted resources; seconds are ignored, as in Salesforce.
func (s *Server) replicationRange(w http.ResponseWriter, r *http.Request, days int) (o *object, start, end int64, ok bool) {
	s.mu.RLock()
	o = s.object(r.PathValue("sobject"))
	s.mu.RUnlock()
	if o == nil {
		writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
		return nil, 0, 0, false
	}
	q := r.URL.Query()
	st, ok1 := parseTime(q.Get("start"))
	en, ok2 := parseTime(q.Get("end"))
	if !ok1 || !ok2 {
		writeErrors(w, http.StatusBadRequest, newError("INVALID_REPLICATION_DATE",
			"start and end must be valid datetimes, such as 2024-01-02T03:04:05+00:00"))
		return nil, 0, 0, false
	}
	now := s.now()
	if en.After(now) {
		en = now
	}
	st, en = st.Truncate(time.Minute), en.Truncate(time.Minute)
	if !st.Before(en) {
		writeErrors(w, http.StatusBadRequest, newError("INVALID_REPLICATION_DATE",
			"startDate must chronologically precede endDate by more than one minute"))
		return nil, 0, 0, false
	}
	if st.Before(now.AddDate(0, 0, -days)) {
		writeErrors(w, http.StatusBadRequest, newError("INVALID_REPLICATION_DATE",
			"startDate cannot be more than %d days ago", days))
		return nil, 0, 0, false
	}
	return o, st.Unix(), en.Unix(), true
}

// maxReplicationIDs is the most ids the updated and deleted resources return.
const maxReplicationIDs = 600000

// handleUpdated serves GET /sobjects/{sobject}/updated?start=&end=.
func (s *Server) handleUpdated(w http.ResponseWriter, r *http.Request, c *call) {
	o, start, end, ok := s.replicationRange(w, r, 30)
	if !ok {
		return
	}
	s.mu.RLock()
	ids := []string{}
	for i := range o.recs {
		rec := &o.recs[i]
		if !rec.deleted && !rec.purged && rec.stamp >= start && rec.stamp < end {
			if len(ids) == maxReplicationIDs {
				s.mu.RUnlock()
				writeErrors(w, http.StatusBadRequest, newError("EXCEEDED_ID_LIMIT",
					"Too many ids were requested, the limit is %d", maxReplicationIDs))
				return
			}
			ids = append(ids, makeID(o.Prefix, uint32(i+1)))
		}
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"ids": ids, "latestDateCovered": formatTime(end)})
}

// handleDeleted serves GET /sobjects/{sobject}/deleted?start=&end=.
func (s *Server) handleDeleted(w http.ResponseWriter, r *http.Request, c *call) {
	o, start, end, ok := s.replicationRange(w, r, 15)
	if !ok {
		return
	}
	type deleted struct {
		ID          string `json:"id"`
		DeletedDate string `json:"deletedDate"`
	}
	s.mu.RLock()
	out := []deleted{}
	earliest := end
	for i := range o.recs {
		rec := &o.recs[i]
		if !rec.deleted || rec.purged {
			continue
		}
		earliest = min(earliest, rec.deletedAt)
		if rec.deletedAt >= start && rec.deletedAt < end {
			out = append(out, deleted{makeID(o.Prefix, uint32(i+1)), formatTime(rec.deletedAt)})
		}
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"deletedRecords": out,
		"earliestDateAvailable": formatTime(earliest), "latestDateCovered": formatTime(end)})
}
