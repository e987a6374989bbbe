package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// BenchmarkMirrorUpsert commits 2,000-record pages (about 4,000 keys) into the
// mirror, alternately new records and updates of existing ones.
func BenchmarkMirrorUpsert(b *testing.B) {
	storetest.ForEachB(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(b, s, "w")
		const pageSize = 2000
		page := make([]contactsync.SalesforceContact, pageSize)
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			base := (i % 5) * pageSize
			for j := range page {
				n := base + j
				r := contactsync.SalesforceContact{
					ID: sfID(n),
					Fields: map[string]string{"FirstName": "First", "LastName": fmt.Sprint("Last", n, "-", i),
						"Email": fmt.Sprintf("person%d@example.com", n), "Phone": fmt.Sprintf("+1 415 555 %04d", n%10000)},
					CreatedByID: "005000000000001AAA", CreatedDate: t0, SystemModstamp: t0.Add(time.Duration(i) * time.Second),
				}
				r.Keys = r.MatchKeys("US")
				page[j] = r
			}
			b.StartTimer()
			if _, err := s.CommitPage(ctx, "w", contactsync.Page{Mirror: page, Cursor: contactsync.CursorOf(&page[pageSize-1])}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*pageSize)/b.Elapsed().Seconds(), "rows/s")
	})
}
