package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: every command
// must stop what it started, including on a cancelled context.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// database/sql's connection openers and the pgx pool outlive
		// Close briefly.
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
		goleak.IgnoreAnyFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
		// expirable.LRU (golang-lru v2.0.7) runs a janitor goroutine it
		// never stops: one per cache (the engine's matcher, the API's
		// field cache), for the life of the process.
		goleak.IgnoreAnyFunction("github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1"),
	)
}
