package sync

import (
	"context"
	"fmt"
	"time"
)

// bulkGroup identifies the records created in one transaction: same creator,
// same CreatedDate second.
type bulkGroup struct {
	createdBy string
	second    int64
}

func groupOf(r *SalesforceContact) (bulkGroup, bool) {
	if r.CreatedByID == "" || r.CreatedDate.IsZero() {
		return bulkGroup{}, false
	}
	return bulkGroup{r.CreatedByID, r.CreatedDate.Unix()}, true
}

// bulkDetector marks bulk-imported records, page by page, for one pass. It
// remembers the verdicts on the groups of the last page, so a group that
// spans pages is judged once, whole, and its records on the next page get
// the same verdict. It forgets older verdicts, so that its memory does not
// grow with the org: a group met again later is judged again, from the
// mirror, which by then holds its earlier records.
type bulkDetector struct {
	ws       string
	min      int
	marker   BulkMarker
	store    MatchStore
	src      Source
	verdicts map[bulkGroup]bool
}

func newBulkDetector(ws string, min int, marker BulkMarker, store MatchStore, src Source) *bulkDetector {
	if min < 2 {
		min = DefaultSettings().BulkImportMinGroup
	}
	return &bulkDetector{ws: ws, min: min, marker: marker, store: store, src: src, verdicts: map[bulkGroup]bool{}}
}

// mark sets BulkImported on the records of page that belong to a bulk
// import. page is in (SystemModstamp, Id) order; full says whether it holds
// as many records as were asked for (a shorter page is the last one). need reports whether a
// record's verdict matters (it may be auto-created); groups of fewer than
// the threshold in the page are only looked up further when one of their
// records needs the verdict. mirrored reports whether a record is already in
// the mirror (so it is not counted twice).
//
// A group reaching the threshold within the page is bulk. A smaller group is
// judged whole:
//   - if it touches the end of a full page (the next page may continue it), by
//     asking Salesforce how many records the creator made in that second:
//     one API call, at most one per page, and its verdict is remembered for
//     the next page;
//   - otherwise by the mirror's count of the group (records of earlier
//     pages and passes) plus its members in this page that are not mirrored
//     yet.
//
// Only a bulk verdict is final: a group judged small is judged again when
// more of its records arrive.
func (b *bulkDetector) mark(ctx context.Context, page []*SalesforceContact, full bool, need, mirrored func(*SalesforceContact) bool) error {
	inPage := map[bulkGroup]int{}
	unmirrored := map[bulkGroup]int{}
	needed := map[bulkGroup]bool{}
	for _, r := range page {
		g, ok := groupOf(r)
		if !ok {
			continue
		}
		inPage[g]++
		if !mirrored(r) {
			unmirrored[g]++
		}
		if need(r) {
			needed[g] = true
		}
	}
	var tail bulkGroup
	hasTail := false
	if n := len(page); n > 0 && full {
		tail, hasTail = groupOf(page[n-1])
	}
	for g, n := range inPage {
		if b.verdicts[g] {
			continue
		}
		if n >= b.min {
			b.verdicts[g] = true
			continue
		}
		if !needed[g] {
			continue
		}
		var total int
		if hasTail && g == tail {
			c, err := b.src.CountCreatedTogether(ctx, g.createdBy, time.Unix(g.second, 0).UTC())
			if err != nil {
				return fmt.Errorf("count bulk group: %w", err)
			}
			total = c
		} else {
			c, err := b.store.CountCreatedTogether(ctx, b.ws, g.createdBy, time.Unix(g.second, 0).UTC())
			if err != nil {
				return fmt.Errorf("count bulk group in mirror: %w", err)
			}
			total = c + unmirrored[g]
		}
		b.verdicts[g] = max(total, n) >= b.min
	}
	for _, r := range page {
		if b.marked(r) {
			r.BulkImported = true
			continue
		}
		if g, ok := groupOf(r); ok && b.verdicts[g] {
			r.BulkImported = true
		}
	}
	// Keep only this page's verdicts.
	kept := make(map[bulkGroup]bool, len(inPage))
	for g := range inPage {
		if v, ok := b.verdicts[g]; ok {
			kept[g] = v
		}
	}
	b.verdicts = kept
	return nil
}

// marked reports whether the record carries the configured marker value.
func (b *bulkDetector) marked(r *SalesforceContact) bool {
	return b.marker.Field != "" && r.Fields[b.marker.Field] == b.marker.Value
}
