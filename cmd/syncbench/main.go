package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

type config struct {
	sizes     []int
	backends  []string
	paths     []string
	scenarios map[string]bool
	pgURL     string
	driver    string
	changes   int
	pushes    int
	bin       string
	keep      bool
	profile   string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-child-sync" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		if err := childSync(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "syncbench child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("syncbench", flag.ContinueOnError)
	sizes := fs.String("sizes", "100000,1000000", "comma-separated org sizes for the initial pulls")
	quick := fs.Bool("quick", false, "one 10,000-contact org, Postgres and SQLite, every scenario (under a minute)")
	backends := fs.String("db", "postgres,sqlite", "comma-separated databases: postgres, sqlite")
	paths := fs.String("paths", "rest,bulk", "comma-separated initial-load paths: rest, bulk")
	scen := fs.String("scenarios", "initial,incremental,push", "comma-separated scenarios: initial, incremental (no change and -changes changes), push (-pushes local edits); the latter two run after the REST initial pull of the smallest size")
	fs.StringVar(&cfgPG, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server URL; a fresh database is created per scenario")
	driver := fs.String("driver", "contactsync", "what runs the sync pass: contactsync (the real `contactsync sync`) or internal (this binary driving the engine)")
	changes := fs.Int("changes", 1000, "contacts edited in Salesforce before the incremental pass")
	pushes := fs.Int("pushes", 10000, "local edits pushed by the push scenario")
	out := fs.String("o", "", "also write the Markdown table to this file")
	keep := fs.Bool("keep", false, "keep the build directory and the databases")
	profile := fs.String("profile", "", "write CPU and allocation profiles of each initial pull into this `dir` (runs the pass with -driver internal, which can profile itself)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c := config{backends: split(*backends), paths: split(*paths), scenarios: map[string]bool{},
		pgURL: cfgPG, driver: *driver, changes: *changes, pushes: *pushes, keep: *keep, profile: *profile}
	for _, s := range split(*scen) {
		c.scenarios[s] = true
	}
	if *quick {
		*sizes = "10000"
		c.pushes = min(c.pushes, 2000)
	}
	for _, s := range split(*sizes) {
		n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
		if err != nil || n < 0 {
			return fmt.Errorf("-sizes: %q is not a size", s)
		}
		c.sizes = append(c.sizes, n)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := os.MkdirTemp("", "syncbench-")
	if err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(dir)
	}
	c.bin = dir
	if err := build(ctx, dir); err != nil {
		return err
	}
	b := &bench{c: c, dir: dir}
	if err := b.runAll(ctx); err != nil {
		b.print(os.Stderr)
		return err
	}
	b.print(stdout)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		b.print(f)
	}
	return nil
}

var cfgPG string

// build compiles contactsync, sfsim and this program (for -driver
// internal) into dir, so no `go run` compile is timed.
func build(ctx context.Context, dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for name, pkg := range map[string]string{"contactsync": "./cmd/contactsync", "sfsim": "./cmd/sfsim"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, name), pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %w", pkg, err)
		}
	}
	return os.Symlink(self, filepath.Join(dir, "syncbench"))
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// row is one line of the results table.
type row struct {
	db, scenario string
	size         int
	m            measurement
	calls        int
	records      int
	note         string
}

type bench struct {
	c    config
	dir  string
	rows []row
}

func (b *bench) print(w io.Writer) {
	fmt.Fprintln(w, "| DB | scenario | org size | records | wall | CPU | peak RSS | API calls | records/s | notes |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range b.rows {
		rate := "-"
		if r.records > 0 && r.m.Wall > 0 {
			rate = fmt.Sprintf("%.0f", float64(r.records)/r.m.Wall.Seconds())
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %.2f s | %.2f s | %d MB | %d | %s | %s |\n", r.db, r.scenario, r.size, r.records,
			r.m.Wall.Seconds(), r.m.CPU.Seconds(), r.m.MaxRSS>>20, r.calls, rate, r.note)
	}
}

func (b *bench) runAll(ctx context.Context) error {
	smallest := b.c.sizes[0]
	for _, s := range b.c.sizes {
		smallest = min(smallest, s)
	}
	for _, size := range b.c.sizes {
		for _, db := range b.c.backends {
			for i, path := range b.c.paths {
				if !b.c.scenarios["initial"] && (i > 0 || size != smallest) {
					continue
				}
				follow := i == 0 && size == smallest
				if err := b.scenario(ctx, db, size, path, follow); err != nil {
					return fmt.Errorf("%s %d %s: %w", db, size, path, err)
				}
			}
		}
	}
	return nil
}

// scenario runs an initial pull of size contacts through path on a fresh
// database, then, when follow is set, the incremental and push scenarios
// on the same database.
func (b *bench) scenario(ctx context.Context, db string, size int, path string, follow bool) error {
	s, err := startSim(ctx, filepath.Join(b.dir, "sfsim"), size)
	if err != nil {
		return err
	}
	defer s.stop()
	dbURL, drop, err := b.freshDB(ctx, db)
	if err != nil {
		return err
	}
	defer drop()
	threshold := "0"
	if path == "bulk" {
		threshold = "1" // force the Bulk path at every size
	}
	env := []string{
		"CONTACTSYNC_DATABASE_URL=" + dbURL,
		"CONTACTSYNC_SALESFORCE_LOGIN_URL=" + s.info.LoginURL,
		"CONTACTSYNC_SALESFORCE_CLIENT_ID=" + s.info.ClientID,
		"CONTACTSYNC_SALESFORCE_CLIENT_SECRET=" + s.info.ClientSecret,
		"CONTACTSYNC_SALESFORCE_REFRESH_TOKEN=" + s.info.RefreshToken,
		"CONTACTSYNC_SECRET_KEY=" + randomHex(32),
		"CONTACTSYNC_BULK_THRESHOLD=" + threshold,
		"CONTACTSYNC_AUDIT_LOG=" + filepath.Join(b.dir, "audit.log"),
		"CONTACTSYNC_LOG_FORMAT=json",
	}
	pass := func(name string, records func(summary) int, note string) (measurement, error) {
		before, err := s.stats()
		if err != nil {
			return measurement{}, err
		}
		argv, penv := b.argv(), env
		if b.c.profile != "" && strings.HasPrefix(name, "initial") {
			base := filepath.Join(b.c.profile, fmt.Sprintf("%s-%s-%d", db, path, size))
			argv = []string{filepath.Join(b.dir, "syncbench"), "-child-sync"}
			penv = append(slices.Clip(env), "SYNCBENCH_CPUPROFILE="+base+".cpu.pprof", "SYNCBENCH_MEMPROFILE="+base+".alloc.pprof", "SYNCBENCH_HEAPPROFILE="+base+".heap.pprof")
			note = strings.TrimSpace(note + " profiled (internal driver)")
		}
		m, err := runSync(ctx, argv, penv)
		if err != nil {
			return m, err
		}
		after, err := s.stats()
		if err != nil {
			return m, err
		}
		r := row{db: db, scenario: name, size: size, m: m, calls: after.APICalls - before.APICalls, records: records(m.Sum), note: note}
		if j := after.ByEndpoint["jobs"] - before.ByEndpoint["jobs"]; j > 0 {
			r.note = strings.TrimSpace(r.note + fmt.Sprintf(" %d bulk job calls", j))
		}
		b.rows = append(b.rows, r)
		fmt.Fprintf(os.Stderr, "syncbench: %s %s %d: %.1fs, %d calls, %d MB\n", db, name, size, m.Wall.Seconds(), r.calls, m.MaxRSS>>20)
		return m, nil
	}
	pulled := func(s summary) int { return s.Pulled }
	if b.c.scenarios["initial"] || follow {
		if _, err := pass("initial pull ("+strings.ToUpper(path)+")", pulled, ""); err != nil {
			return err
		}
	}
	if !follow {
		return nil
	}
	if b.c.scenarios["incremental"] {
		if _, err := pass("incremental, no changes", pulled, ""); err != nil {
			return err
		}
		if err := s.control("POST", "touch", fmt.Sprintf(`{"count": %d}`, b.c.changes), nil); err != nil {
			return err
		}
		if _, err := pass(fmt.Sprintf("incremental, %d changes", b.c.changes), pulled, ""); err != nil {
			return err
		}
	}
	if b.c.scenarios["push"] {
		n, err := preparePushes(ctx, dbURL, envValue(env, "CONTACTSYNC_SECRET_KEY"), b.c.pushes)
		if err != nil {
			return fmt.Errorf("prepare pushes: %w", err)
		}
		if _, err := pass(fmt.Sprintf("push %d local edits", n), func(s summary) int { return s.Pushed }, ""); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) argv() []string {
	if b.c.driver == "internal" {
		return []string{filepath.Join(b.dir, "syncbench"), "-child-sync"}
	}
	return []string{filepath.Join(b.dir, "contactsync"), "sync"}
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// freshDB creates an empty database for one scenario and returns its URL
// and a function that drops it.
func (b *bench) freshDB(ctx context.Context, db string) (string, func(), error) {
	switch db {
	case "sqlite":
		path := filepath.Join(b.dir, "bench-"+randomHex(4)+".db")
		return path, func() {
			if !b.c.keep {
				for _, suf := range []string{"", "-wal", "-shm"} {
					os.Remove(path + suf)
				}
			}
		}, nil
	case "postgres":
		name := "syncbench_" + randomHex(6)
		if err := pgExec(ctx, b.c.pgURL, "CREATE DATABASE "+name); err != nil {
			return "", nil, fmt.Errorf("create database: %w", err)
		}
		u := withDatabase(b.c.pgURL, name)
		return u, func() {
			if !b.c.keep {
				_ = pgExec(context.WithoutCancel(ctx), b.c.pgURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			}
		}, nil
	}
	return "", nil, fmt.Errorf("unknown database %q (want postgres or sqlite)", db)
}

// withDatabase replaces the database name in a postgres:// URL.
func withDatabase(server, name string) string {
	head, query, _ := strings.Cut(server, "?")
	i := strings.LastIndex(head, "/")
	if i < len("postgres://") {
		head += "/"
		i = len(head) - 1
	}
	u := head[:i+1] + name
	if query != "" {
		u += "?" + query
	}
	return u
}
