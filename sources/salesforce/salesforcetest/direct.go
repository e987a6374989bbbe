package salesforcetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The methods in this file change the org directly, as a person working in
// the Salesforce UI would. They are not API calls: they are not charged,
// counted or subject to faults. They keep every system field right.

// auditFields are the system fields CreateRecord accepts, as Salesforce does
// for users with the "Set Audit Fields upon Record Creation" permission.
var auditFields = []string{"CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById"}

// CreateRecord creates a record of sobject as the admin user and returns its
// 18-character id. CreatedDate and CreatedById (a User id), as time.Time or
// Salesforce datetime strings, may be given to back-date the record.
func (s *Server) CreateRecord(sobject string, fields map[string]any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.object(sobject)
	if o == nil {
		return "", fmt.Errorf("create %s: no such sObject", sobject)
	}
	fields, a, err := s.extractAudit(fields)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", sobject, err)
	}
	ch, errs := s.prepareInsert(o, fields)
	if len(errs) > 0 {
		return "", fmt.Errorf("create %s: %w", sobject, asError(errs))
	}
	if ch.owner == userIntegration {
		ch.owner = userAdmin
	}
	return makeID(o.Prefix, s.commit(ch, userAdmin, s.nowSec(), a)), nil
}

func (s *Server) extractAudit(fields map[string]any) (map[string]any, *audit, error) {
	var a *audit
	rest := make(map[string]any, len(fields))
	now := s.nowSec()
	for k, v := range fields {
		known := false
		for _, af := range auditFields {
			if strings.EqualFold(k, af) {
				known = true
				if a == nil {
					a = &audit{created: now, modified: now, createdBy: userAdmin}
				}
				switch af {
				case "CreatedDate", "LastModifiedDate":
					var t time.Time
					switch x := v.(type) {
					case time.Time:
						t = x
					case string:
						var ok bool
						if t, ok = parseTime(x); !ok {
							return nil, nil, fmt.Errorf("%s: bad datetime %q", af, x)
						}
					default:
						return nil, nil, fmt.Errorf("%s: want time.Time or string, got %T", af, v)
					}
					if af == "CreatedDate" {
						a.created = t.Unix()
						if a.modified == now {
							a.modified = a.created
						}
					} else {
						a.modified = t.Unix()
					}
				default:
					id, _ := v.(string)
					prefix, seq, err := parseID(id)
					if err != nil || prefix != "005" || int(seq) > len(s.object("User").recs) {
						return nil, nil, fmt.Errorf("%s: not a user id: %v", af, v)
					}
					a.createdBy = seq
				}
			}
		}
		if !known {
			rest[k] = v
		}
	}
	return rest, a, nil
}

// UpdateRecord updates fields of a record as the admin user.
func (s *Server) UpdateRecord(sobject, id string, fields map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, seq, err := s.lookup(sobject, id)
	if err != nil {
		return fmt.Errorf("update %s %s: %w", sobject, id, err)
	}
	ch, errs := s.prepareUpdate(o, seq, fields)
	if len(errs) > 0 {
		return fmt.Errorf("update %s %s: %w", sobject, id, asError(errs))
	}
	s.commit(ch, userAdmin, s.nowSec(), nil)
	return nil
}

// DeleteRecord moves a record to the recycle bin as the admin user.
func (s *Server) DeleteRecord(sobject, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, seq, err := s.lookup(sobject, id)
	if err == nil {
		err = s.remove(o, seq, 0, userAdmin, s.nowSec())
	}
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", sobject, id, err)
	}
	return nil
}

// MergeContacts merges duplicates into master, as the UI's merge does: each
// duplicate is deleted with MasterRecordId pointing at master, their Cases
// move to master, and master is stamped as modified. Salesforce merges at
// most two duplicates at a time.
func (s *Server) MergeContacts(masterID string, dupIDs ...string) error {
	if len(dupIDs) == 0 || len(dupIDs) > 2 {
		return fmt.Errorf("merge contacts: want 1 or 2 duplicates, got %d", len(dupIDs))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, master, err := s.lookup("Contact", masterID)
	if err == nil {
		err = s.live(o, master)
	}
	if err != nil {
		return fmt.Errorf("merge contacts: master %s: %w", masterID, err)
	}
	var dups []uint32
	for _, id := range dupIDs {
		_, seq, err := s.lookup("Contact", id)
		if err == nil {
			err = s.live(o, seq)
		}
		if err == nil && seq == master {
			err = newError("INVALID_OPERATION", "cannot merge a record with itself")
		}
		if err != nil {
			return fmt.Errorf("merge contacts: duplicate %s: %w", id, err)
		}
		dups = append(dups, seq)
	}
	now := s.nowSec()
	cases := s.object("Case")
	contactSlot := cases.field("ContactId").slot
	masterID18 := makeID(o.Prefix, master)
	for _, seq := range dups {
		dupID := makeID(o.Prefix, seq)
		for i := range cases.recs {
			c := &cases.recs[i]
			if !c.purged && c.slot(contactSlot) == dupID {
				vals := c.unpack(cases.slots)
				vals[contactSlot] = masterID18
				c.vals = pack(vals)
				c.modified, c.modifiedBy, c.stamp = now, userAdmin, now
			}
		}
		_ = s.remove(o, seq, master, userAdmin, now)
	}
	m := &o.recs[master-1]
	m.modified, m.modifiedBy, m.stamp = now, userAdmin, now
	return nil
}

// BulkImport creates n contacts in one transaction, as Data Loader does:
// one CreatedById (the Data Loader user) and one CreatedDate second. gen
// returns the fields of the i-th contact; a nil gen makes plausible ones.
// It returns the new ids, skipping contacts that fail validation.
func (s *Server) BulkImport(n int, gen func(i int) map[string]any) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowSec()
	o := s.object("Contact")
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var fields map[string]any
		if gen != nil {
			fields = gen(i)
		} else {
			fields = map[string]any{"FirstName": "Imported", "LastName": fmt.Sprintf("Contact %d", i),
				"Email": fmt.Sprintf("imported.%d.%d@bulk.example", now, i), "LeadSource": "Purchased List"}
		}
		ch, errs := s.prepareInsert(o, fields)
		if len(errs) > 0 {
			continue
		}
		ch.owner = userDataLoader
		ids = append(ids, makeID(o.Prefix, s.commit(ch, userDataLoader, now, nil)))
	}
	return ids
}

// Record returns the current state of a record, deleted or not, as the API
// would show every field: strings, booleans, datetimes as Salesforce
// datetime strings, and nil for null.
func (s *Server) Record(sobject, id string) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, seq, err := s.lookup(sobject, id)
	if err != nil {
		return nil, false
	}
	return s.recordMap(o, seq), true
}

// Records returns every record of sobject, deleted ones included, in id
// order.
func (s *Server) Records(sobject string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.object(sobject)
	if o == nil {
		return nil
	}
	out := make([]map[string]any, 0, len(o.recs))
	for i := range o.recs {
		if !o.recs[i].purged {
			out = append(out, s.recordMap(o, uint32(i+1)))
		}
	}
	return out
}

func (s *Server) recordMap(o *object, seq uint32) map[string]any {
	m := make(map[string]any, len(o.Fields))
	r := &o.recs[seq-1]
	for _, f := range o.Fields {
		m[f.Name] = jsonValue(o, s.getterFor(o, f)(seq, r))
	}
	return m
}

// SetDuplicateRule switches the standard Contact duplicate rule on Email
// (case-insensitive) on or off. When on, creating or updating a Contact
// whose Email another live Contact has fails with DUPLICATES_DETECTED.
func (s *Server) SetDuplicateRule(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dupRule = on
	if !on {
		s.emailIdx = nil
		return
	}
	o := s.object("Contact")
	slot := o.field("Email").slot
	s.emailIdx = make(map[string][]uint32)
	for i := range o.recs {
		r := &o.recs[i]
		if r.deleted || r.purged {
			continue
		}
		if e := r.slot(slot); e != "" {
			e = strings.ToLower(e)
			s.emailIdx[e] = append(s.emailIdx[e], uint32(i+1))
		}
	}
}

// PurgeDeleted empties the recycle bin: deleted records disappear from
// queryAll too, as after 15 days in Salesforce.
func (s *Server) PurgeDeleted() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.objs {
		for i := range o.recs {
			if o.recs[i].deleted {
				o.recs[i].purged = true
			}
		}
	}
}

// Users returns the ids of the well-known users: the API user every token
// acts as, the admin that direct changes act as, the Data Loader user of
// bulk imports and the automated process user.
func (s *Server) Users() (api, admin, dataLoader, automation string) {
	return makeID("005", userIntegration), makeID("005", userAdmin),
		makeID("005", userDataLoader), makeID("005", userAutomation)
}

// Touch edits n live Contacts chosen at random (deterministically from the
// org's seed), as the admin user: each gets a new Title, so its
// SystemModstamp moves and an incremental pull reads it again. It returns
// the ids edited, fewer than n when the org has fewer live Contacts.
func (s *Server) Touch(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.object("Contact")
	now := s.nowSec()
	s.touches++
	rng := rand.New(rand.NewPCG(uint64(s.opts.Seed), s.touches))
	ids := make([]string, 0, n)
	seen := map[uint32]bool{}
	for tries := 0; len(ids) < n && tries < 4*n+100 && len(o.recs) > 0; tries++ {
		seq := uint32(rng.IntN(len(o.recs))) + 1
		if seen[seq] || s.live(o, seq) != nil {
			continue
		}
		seen[seq] = true
		ch, errs := s.prepareUpdate(o, seq, map[string]any{"Title": fmt.Sprintf("Touched %d.%d", s.touches, len(ids))})
		if len(errs) > 0 {
			continue
		}
		s.commit(ch, userAdmin, now, nil)
		ids = append(ids, makeID(o.Prefix, seq))
	}
	return ids
}
