package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

// matchStoreSize is the contact book the match benchmark looks pages up in.
const matchStoreSize = 1_000_000

// BenchmarkMatchPage looks up the keys of one 2,000-record page (an email
// and a phone each; half of them match a contact) against a store of
// 1,000,000 contacts (2,000,000 keys) through the engine's Matcher: cold
// (an empty cache: one store query per page) and warm (every key cached).
// Seeding takes about a minute per database; run it alone:
//
//	go test -run '^$' -bench MatchPage -benchtime 20x ./store/
func BenchmarkMatchPage(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 1,000,000 contacts")
	}
	storetest.ForEachB(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(b, s, "w")
		seedContacts(b, s, "w", matchStoreSize)
		const page = 2000
		pageKeys := func(i int) []contactsync.Key {
			keys := make([]contactsync.Key, 0, 2*page)
			for j := range page {
				// Every other record matches an existing contact;
				// the others are new to the store.
				n := (i*page + j) % (2 * matchStoreSize)
				keys = append(keys, contactsync.Key{Kind: contactsync.KeyEmail, Value: fmt.Sprintf("person%d@example.com", n)},
					contactsync.Key{Kind: contactsync.KeyPhone, Value: fmt.Sprintf("+1415%07d", n)})
			}
			return keys
		}
		check := func(b *testing.B, got map[contactsync.Key][]int64) {
			b.Helper()
			n := 0
			for _, ids := range got {
				if len(ids) > 0 {
					n++
				}
			}
			if n != page { // half of the 2,000 records, two keys each
				b.Fatalf("%d keys matched, want %d", n, page)
			}
		}
		b.Run("cold", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				m := contactsync.NewMatcher(s, time.Minute)
				keys := pageKeys(i)
				b.StartTimer()
				got, err := m.Match(ctx, "w", keys)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				check(b, got)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*page)/b.Elapsed().Seconds(), "records/s")
		})
		b.Run("warm", func(b *testing.B) {
			m := contactsync.NewMatcher(s, time.Hour)
			keys := pageKeys(7)
			if _, err := m.Match(ctx, "w", keys); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				got, err := m.Match(ctx, "w", keys)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				check(b, got)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*page)/b.Elapsed().Seconds(), "records/s")
		})
	})
}

// seedContacts inserts n contacts with an email and a phone key each, in
// SQL (through the API it would take far longer than the benchmark): the
// keys of contact i are person{2i}@example.com and +1415{2i, 7 digits}.
func seedContacts(tb testing.TB, s *store.Store, ws string, n int) {
	tb.Helper()
	db := s.DB()
	var series string
	if s.Dialect() == store.DialectPostgres {
		series = fmt.Sprintf("SELECT g AS i FROM generate_series(0, %d) g", n-1)
	} else {
		series = fmt.Sprintf("WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %d) SELECT i FROM s", n-1)
	}
	stmts := []string{
		`INSERT INTO contacts (workspace_id, id, first_name, last_name, email, phone, source)
			SELECT '` + ws + `', i + 1, 'First', 'Last' || i, 'person' || (2 * i) || '@example.com', '+1415' || substr('000000' || (2 * i), -7, 7), 'local'
			FROM (` + series + `) s`,
		`INSERT INTO contact_keys (workspace_id, contact_id, kind, value) SELECT workspace_id, id, 'email', email FROM contacts WHERE workspace_id = '` + ws + `'`,
		`INSERT INTO contact_keys (workspace_id, contact_id, kind, value) SELECT workspace_id, id, 'phone', phone FROM contacts WHERE workspace_id = '` + ws + `'`,
	}
	if s.Dialect() == store.DialectPostgres {
		// substr with a negative start means something else on Postgres.
		stmts[0] = strings.Replace(stmts[0], "substr('000000' || (2 * i), -7, 7)", "lpad((2 * i)::text, 7, '0')", 1)
		stmts = append(stmts, "ANALYZE contacts", "ANALYZE contact_keys")
	} else {
		stmts = append(stmts, "ANALYZE")
	}
	for _, q := range stmts {
		if err := db.Exec(q).Error; err != nil {
			tb.Fatalf("seed contacts: %v", err)
		}
	}
}
