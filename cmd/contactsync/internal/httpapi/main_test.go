package httpapi_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the server's background syncs, and everything the
// tests start, are gone when the tests end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// database/sql's connection openers and the pgx pool outlive
		// Close briefly; chromedp's allocator reaps the browser in the
		// background.
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
		goleak.IgnoreAnyFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
		// expirable.LRU (golang-lru v2.0.7) runs a janitor goroutine it
		// never stops: one per cache, for the life of the process.
		goleak.IgnoreAnyFunction("github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1"),
	)
}
