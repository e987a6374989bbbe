package salesforcetest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Query cursor bounds: Salesforce expires a locator after 15 minutes without
// use, and keeps a bounded number open per user.
const (
	cursorIdle   = 15 * time.Minute
	maxCursors   = 100
	defaultBatch = 2000
	minBatch     = 200
	maxBatch     = 2000
	cursorKeyPfx = "01g"
)

// cursor is the snapshot of a query's result: the sequence numbers of the
// matching records, in result order. Records are read at page time.
type cursor struct {
	id       string
	obj      *object
	fields   []*fieldDef
	gets     []getter
	seqs     []uint32
	batch    int
	lastUsed time.Time
}

// handleQuery serves GET /query?q= and /queryAll?q=.
func (s *Server) handleQuery(all bool) restHandler {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		q := r.URL.Query().Get("q")
		if strings.TrimSpace(q) == "" {
			writeErrors(w, http.StatusBadRequest, newError("MALFORMED_QUERY", "A query string must be provided."))
			return
		}
		batch := batchSize(r.Header.Get("Sforce-Query-Options"))
		s.mu.RLock()
		sq, qerr := s.parseSOQL(q)
		if qerr != nil {
			s.mu.RUnlock()
			writeErrors(w, http.StatusBadRequest, &Error{ErrorCode: qerr.code, Message: qerr.message(q)})
			return
		}
		seqs := s.run(sq, all)
		if sq.count {
			s.mu.RUnlock()
			writeJSON(w, http.StatusOK, struct {
				TotalSize int   `json:"totalSize"`
				Done      bool  `json:"done"`
				Records   []any `json:"records"`
			}{len(seqs), true, []any{}})
			return
		}
		cur := &cursor{obj: sq.obj, fields: sq.fields, seqs: seqs, batch: batch}
		for _, f := range sq.fields {
			cur.gets = append(cur.gets, s.getterFor(sq.obj, f))
		}
		b := s.page(nil, c.version, cur, 0, all)
		s.mu.RUnlock()
		writeRaw(w, http.StatusOK, b)
	}
}

// run evaluates a query and returns the matching sequence numbers in result
// order, after OFFSET and LIMIT. Callers hold s.mu.
func (s *Server) run(q *soqlQuery, all bool) []uint32 {
	recs := q.obj.recs
	var seqs []uint32
	for i := range recs {
		r := &recs[i]
		if r.purged || r.deleted && !all {
			continue
		}
		seq := uint32(i + 1)
		if q.where != nil && !q.where(seq, r) {
			continue
		}
		seqs = append(seqs, seq)
	}
	if len(q.order) > 0 {
		seqs = sortSeqs(recs, seqs, q.order)
	}
	if q.offset > 0 {
		seqs = seqs[min(q.offset, len(seqs)):]
	}
	if q.limit >= 0 && len(seqs) > q.limit {
		seqs = seqs[:q.limit]
	}
	return slices.Clip(seqs)
}

// sortSeqs sorts by the ORDER BY keys, extracted once per record so that a
// million-row sort compares plain values; sequence order breaks ties, which
// keeps the result stable across runs.
func sortSeqs(recs []record, seqs []uint32, order []orderItem) []uint32 {
	type row struct {
		seq  uint32
		keys []value
	}
	rows := make([]row, len(seqs))
	keys := make([]value, len(seqs)*len(order))
	for i, seq := range seqs {
		k := keys[i*len(order) : (i+1)*len(order) : (i+1)*len(order)]
		for j, o := range order {
			v := o.get(seq, &recs[seq-1])
			if isText(v.k) {
				v.s = strings.ToLower(v.s)
			}
			k[j] = v
		}
		rows[i] = row{seq, k}
	}
	slices.SortFunc(rows, func(a, b row) int {
		for j, o := range order {
			if c := compareValues(a.keys[j], b.keys[j], o); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.seq, b.seq)
	})
	for i := range rows {
		seqs[i] = rows[i].seq
	}
	return seqs
}

func compareValues(a, b value, o orderItem) int {
	if a.null || b.null {
		switch {
		case a.null && b.null:
			return 0
		case a.null == o.nullsFirst:
			return -1
		}
		return 1
	}
	var c int
	switch a.k {
	case kindID, kindBoolean, kindDateTime:
		c = cmp.Compare(a.n, b.n)
	default:
		c = strings.Compare(a.s, b.s)
	}
	if o.desc {
		return -c
	}
	return c
}

// page renders the page of cur starting at offset, registering the cursor
// when more pages follow. Callers hold s.mu.
func (s *Server) page(b []byte, version string, cur *cursor, offset int, all bool) []byte {
	end := min(offset+cur.batch, len(cur.seqs))
	if b == nil {
		b = make([]byte, 0, 256+(end-offset)*(160+24*len(cur.fields)))
	}
	done := end >= len(cur.seqs)
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(len(cur.seqs)), 10)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, done)
	if !done {
		if cur.id == "" {
			s.register(cur)
		}
		res := "query"
		if all {
			res = "queryAll"
		}
		b = append(b, `,"nextRecordsUrl":"/services/data/`...)
		b = append(b, version...)
		b = append(b, '/')
		b = append(b, res...)
		b = append(b, '/')
		b = append(b, cur.id...)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(end), 10)
		b = append(b, '"')
	}
	b = append(b, `,"records":[`...)
	for i, seq := range cur.seqs[offset:end] {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendRecord(b, version, cur.obj, seq, cur.fields, cur.gets)
	}
	return append(b, "]}"...)
}

// register stores a cursor under a new query id, evicting expired and, past
// the bound, least recently used cursors.
func (s *Server) register(cur *cursor) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	now := s.now()
	for id, c := range s.cursors {
		if now.Sub(c.lastUsed) > cursorIdle {
			delete(s.cursors, id)
		}
	}
	for len(s.cursors) >= maxCursors {
		var oldest *cursor
		for _, c := range s.cursors {
			if oldest == nil || c.lastUsed.Before(oldest.lastUsed) {
				oldest = c
			}
		}
		delete(s.cursors, oldest.id)
	}
	s.cursorSeq++
	cur.id = makeID(cursorKeyPfx, s.cursorSeq)[:15]
	cur.lastUsed = now
	s.cursors[cur.id] = cur
}

// handleQueryMore serves GET /query/{locator} and /queryAll/{locator}, where
// the locator is <queryId>-<offset>, under any API version.
func (s *Server) handleQueryMore(w http.ResponseWriter, r *http.Request, c *call) {
	loc := r.PathValue("locator")
	dash := strings.LastIndexByte(loc, '-')
	invalid := func() {
		writeErrors(w, http.StatusBadRequest, newError("INVALID_QUERY_LOCATOR", "invalid query locator"))
	}
	if dash < 0 {
		invalid()
		return
	}
	offset, err := strconv.Atoi(loc[dash+1:])
	if err != nil || offset < 0 {
		invalid()
		return
	}
	s.ctl.Lock()
	cur := s.cursors[loc[:dash]]
	now := s.now()
	if cur != nil && now.Sub(cur.lastUsed) > cursorIdle {
		delete(s.cursors, cur.id)
		cur = nil
	}
	if cur != nil {
		cur.lastUsed = now
	}
	s.ctl.Unlock()
	if cur == nil || offset > len(cur.seqs) {
		invalid()
		return
	}
	all := strings.Contains(r.URL.Path, "/queryAll/")
	s.mu.RLock()
	b := s.page(nil, c.version, cur, offset, all)
	s.mu.RUnlock()
	writeRaw(w, http.StatusOK, b)
}

// batchSize reads batchSize from a Sforce-Query-Options header, clamped to
// what Salesforce honours.
func batchSize(h string) int {
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return defaultBatch
		}
		return min(max(n, minBatch), maxBatch)
	}
	return defaultBatch
}
