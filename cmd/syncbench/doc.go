// Command syncbench measures contactsync against a simulated org: it builds
// contactsync and sfsim, starts sfsim as a separate process, runs
// `contactsync sync` as a separate process against a fresh PostgreSQL
// database (and a fresh SQLite file) per scenario, and prints a Markdown
// table of wall time, CPU time, peak RSS, API calls and records per second.
//
//	go run ./cmd/syncbench -quick
//	go run ./cmd/syncbench -sizes 100000,1000000 -o bench.md
//
// See the README's benchmark section and BENCHMARKS.md.
package main
