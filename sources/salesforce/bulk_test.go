package salesforce_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

const bulkContactsSOQL = "SELECT Id, FirstName, LastName, Email, Phone, MobilePhone, HomePhone, OtherPhone, " +
	"CreatedById, CreatedDate, SystemModstamp, IsDeleted, MasterRecordId FROM Contact"

func fastBulk(o salesforce.BulkOptions) salesforce.BulkOptions {
	o.PollInterval, o.MaxPollInterval = 20*time.Millisecond, 200*time.Millisecond
	return o
}

func TestBulkQuery25000(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 25000, Seed: 7, BulkQueryDelay: 100 * time.Millisecond})
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	total, err := c.Count(ctx, "SELECT COUNT() FROM Contact", salesforce.QueryOptions{All: true})
	if err != nil || total != 25000 {
		t.Fatalf("COUNT() = %d, %v", total, err)
	}
	sim.ResetStats()
	calls := c.APICalls()

	var sizes []int
	seen := make(map[string]bool, total)
	var jobID string
	err = c.BulkQuery(ctx, bulkContactsSOQL, fastBulk(salesforce.BulkOptions{All: true, MaxRecords: 10000, PageSize: 10000,
		OnCreate: func(id string, _ time.Time) { jobID = id }}),
		func(page []contactsync.SalesforceContact) error {
			sizes = append(sizes, len(page))
			for _, r := range page {
				if seen[r.ID] {
					t.Errorf("record %s returned twice", r.ID)
				}
				seen[r.ID] = true
				if len(r.ID) != 18 || r.SystemModstamp.IsZero() || r.CreatedByID == "" || r.Fields["LastName"] == "" {
					t.Fatalf("badly decoded record %+v", r)
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	// PageSize = MaxRecords, so each call of fn is one results set.
	if !reflect.DeepEqual(sizes, []int{10000, 10000, 5000}) || len(seen) != total {
		t.Fatalf("result sets %v, %d distinct records; want [10000 10000 5000], %d", sizes, len(seen), total)
	}
	st := sim.Stats()
	got := c.APICalls() - calls
	if st.APICalls != int(got) || st.ByEndpoint[salesforcetest.EndpointJobs] != int(got) {
		t.Fatalf("client counted %d calls, simulator %d (%v)", got, st.APICalls, st.ByEndpoint)
	}
	// create + polls + 3 results + delete; the job takes 100 ms and the
	// polls back off from 20 ms.
	if got < 1+1+3+1 || got > 10 {
		t.Fatalf("%d API calls for 25,000 records; want 6 to 10", got)
	}
	if jobID == "" || len(sim.QueryJobs()) != 0 {
		t.Fatalf("job %q not deleted: %+v", jobID, sim.QueryJobs())
	}
}

// TestBulkQueryMatchesREST decodes the same records over REST and Bulk and
// compares them field by field: the engine must not see a difference.
func TestBulkQueryMatchesREST(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 400, Seed: 11, BulkQueryDelay: -1})
	if _, err := sim.CreateRecord("Contact", map[string]any{"LastName": `Quote "me", please`,
		"FirstName": "Multi\nLine", "Title": "Ünïcödé, Inc."}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, sim, nil)
	ctx := testContext(t)
	fields := []string{"FirstName", "LastName", "Title", "MailingCity", "LeadSource", "HasOptedOutOfEmail", "OwnerId"}
	q := contactsync.ChangesQuery{Fields: fields, PageSize: 2000}
	rest := map[string]contactsync.SalesforceContact{}
	err := salesforce.NewSource(c).Changes(ctx, q, func(page contactsync.ChangesPage) error {
		for _, r := range page.Records {
			rest[r.ID] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	soql := strings.TrimSuffix(salesforce.ChangesSOQL(q), " ORDER BY SystemModstamp, Id")
	n := 0
	err = c.BulkQuery(ctx, soql, fastBulk(salesforce.BulkOptions{All: true, PageSize: 150}), func(page []contactsync.SalesforceContact) error {
		if len(page) > 150 {
			t.Fatalf("page of %d records, PageSize 150", len(page))
		}
		for _, r := range page {
			n++
			if want, ok := rest[r.ID]; !ok || !reflect.DeepEqual(r, want) {
				t.Fatalf("bulk decoded\n%+v\nREST decoded\n%+v", r, want)
			}
		}
		return nil
	})
	if err != nil || n != len(rest) || n != 401 {
		t.Fatalf("bulk read %d records, REST %d (%v)", n, len(rest), err)
	}
}

func TestBulkQueryFailedJob(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 50, BulkQueryDelay: 30 * time.Millisecond})
	sim.FailBulkJobs(1, "InternalServerError : query timed out")
	c := newClient(t, sim, nil)
	called := false
	err := c.BulkQuery(testContext(t), bulkContactsSOQL, fastBulk(salesforce.BulkOptions{}), func([]contactsync.SalesforceContact) error {
		called = true
		return nil
	})
	var jobErr *salesforce.BulkJobError
	if !errors.Is(err, salesforce.ErrBulkJobFailed) || !errors.As(err, &jobErr) ||
		jobErr.State != salesforce.JobFailed || jobErr.Message != "InternalServerError : query timed out" || called {
		t.Fatalf("err = %v (called %v), want a Failed *BulkJobError", err, called)
	}
	if jobs := sim.QueryJobs(); len(jobs) != 0 {
		t.Fatalf("failed job not deleted: %+v", jobs)
	}
}

func TestBulkQueryUnsupported(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 5})
	c := newClient(t, sim, nil)
	calls := c.APICalls()
	err := c.BulkQuery(testContext(t), "SELECT COUNT() FROM Contact", salesforce.BulkOptions{},
		func([]contactsync.SalesforceContact) error { return nil })
	e, ok := asAPIError(err)
	if !ok || e.Status != http.StatusBadRequest || e.Code != "API_ERROR" || e.Temporary() {
		t.Fatalf("err = %v, want a permanent 400 API_ERROR", err)
	}
	if got := c.APICalls() - calls; got != 1 {
		t.Fatalf("%d calls for a refused job, want 1", got)
	}
}

func TestBulkQueryCancelStopsPolling(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 5, BulkQueryDelay: time.Hour})
	c := newClient(t, sim, nil)
	ctx, cancel := context.WithCancel(testContext(t))
	time.AfterFunc(150*time.Millisecond, cancel)
	start := time.Now()
	err := c.BulkQuery(ctx, bulkContactsSOQL, fastBulk(salesforce.BulkOptions{}),
		func([]contactsync.SalesforceContact) error { return nil })
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v, want context.Canceled soon after 150 ms", err, time.Since(start))
	}
	calls := sim.Stats().ByEndpoint[salesforcetest.EndpointJobs]
	time.Sleep(300 * time.Millisecond)
	if got := sim.Stats().ByEndpoint[salesforcetest.EndpointJobs]; got != calls {
		t.Fatalf("calls went on after cancel: %d then %d", calls, got)
	}
	// create, a few polls (20, 40, 80 ms), abort, delete.
	if calls < 4 || calls > 8 {
		t.Fatalf("%d job calls", calls)
	}
	if jobs := sim.QueryJobs(); len(jobs) != 0 {
		t.Fatalf("cancelled job left behind: %+v", jobs)
	}
}

func TestBulkQueryCallbackError(t *testing.T) {
	sim := newSim(t, salesforcetest.Options{Contacts: 500, BulkQueryDelay: -1})
	c := newClient(t, sim, nil)
	stop := errors.New("stop here")
	pages := 0
	err := c.BulkQuery(testContext(t), bulkContactsSOQL, fastBulk(salesforce.BulkOptions{MaxRecords: 100, PageSize: 100}),
		func([]contactsync.SalesforceContact) error { pages++; return stop })
	if err != stop || pages != 1 {
		t.Fatalf("err = %v after %d pages, want the callback's error after 1", err, pages)
	}
	if jobs := sim.QueryJobs(); len(jobs) != 0 {
		t.Fatalf("job not deleted: %+v", jobs)
	}
}

// BenchmarkBulkQuery1M reads a million seeded contacts through a Bulk API
// 2.0 query job: create, poll, ten results sets of 100,000, delete.
func BenchmarkBulkQuery1M(b *testing.B) {
	sim := newSim(b, salesforcetest.Options{Contacts: 1000000, Seed: 1, BulkQueryDelay: 200 * time.Millisecond})
	c := newClient(b, sim, nil)
	ctx := context.Background()
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		calls := c.APICalls()
		n := 0
		err := c.BulkQuery(ctx, bulkContactsSOQL, salesforce.BulkOptions{All: true, PollInterval: 100 * time.Millisecond},
			func(page []contactsync.SalesforceContact) error { n += len(page); return nil })
		if err != nil || n != 1000000 {
			b.Fatalf("read %d records: %v", n, err)
		}
		b.ReportMetric(float64(c.APICalls()-calls), "api-calls")
	}
	b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "records/s")
}
