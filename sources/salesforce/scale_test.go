package salesforce_test

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// TestPageMillion pages through a large seeded org with Source.Changes and
// reports the time taken. It runs only when CONTACTSYNC_SCALE is set to the
// number of contacts (for example 1000000):
//
//	CONTACTSYNC_SCALE=1000000 go test -run TestPageMillion -v ./sources/salesforce/
func TestPageMillion(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CONTACTSYNC_SCALE"))
	if n <= 0 {
		t.Skip("set CONTACTSYNC_SCALE=1000000 to page through a large org")
	}
	start := time.Now()
	sim := newSim(t, salesforcetest.Options{Contacts: n, Seed: 42})
	seeded := time.Since(start)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("seeded %d contacts in %v; heap in use %d MiB", n, seeded.Round(time.Millisecond), ms.HeapInuse>>20)

	c := newClient(t, sim, nil)
	src := salesforce.NewSource(c)
	start = time.Now()
	got, pages := 0, 0
	var last contactsync.Cursor
	err := src.Changes(testContext(t), contactsync.ChangesQuery{Fields: contactsync.DefaultFieldMap().SalesforceFields(), PageSize: 2000},
		func(cp contactsync.ChangesPage) error {
			page := cp.Records
			for i := range page {
				cur := contactsync.CursorOf(&page[i])
				if got > 0 && !last.Less(cur) {
					t.Fatalf("record %d out of order", got)
				}
				last = cur
				got++
			}
			pages++
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	runtime.ReadMemStats(&ms)
	if got != n {
		t.Fatalf("paged %d records, want %d", got, n)
	}
	t.Logf("paged %d records in %d pages in %v: %.0f records/s, %d API calls; heap in use %d MiB",
		got, pages, d.Round(time.Millisecond), float64(got)/d.Seconds(), c.APICalls(), ms.HeapInuse>>20)
}
