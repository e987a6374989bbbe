package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for admin statements

	"github.com/contactsync/contactsync/migrations"
	"github.com/contactsync/contactsync/store"
)

// DefaultPostgresURL is used when CONTACTSYNC_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SecretKey is the 32-byte key test stores encrypt connection secrets with.
var SecretKey = []byte("contactsync-test-secret-key-32by")

// ForEach runs fn as subtests "sqlite" and "postgres", each with its own fresh
// migrated store.
func ForEach(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// ForEachB is ForEach for benchmarks.
func ForEachB(b *testing.B, fn func(b *testing.B, s *store.Store)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, Postgres(b)) })
}

// SQLite returns a migrated store on a new database file in t.TempDir,
// closed in t.Cleanup.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	return open(t, SQLiteURL(t))
}

// SQLiteURL returns the path of a new, empty SQLite database in t.TempDir.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "contactsync.db")
}

// Postgres returns a migrated store on a fresh PostgreSQL database, closed and
// dropped in t.Cleanup. It skips (or fails, see the package doc) when no
// server is reachable.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	return open(t, PostgresURL(t, true))
}

// PostgresURL creates a fresh PostgreSQL database, migrated when migrated is
// true (otherwise empty), dropped in t.Cleanup, and returns its URL.
func PostgresURL(t testing.TB, migrated bool) string {
	t.Helper()
	server := serverURL()
	if err := reachable(server); err != nil {
		if os.Getenv("CONTACTSYNC_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL required (CONTACTSYNC_TEST_REQUIRE_POSTGRES=1) but unreachable at %s: %v", redact(server), err)
		}
		t.Skipf("SKIPPING PostgreSQL test: server unreachable at %s (%v); set CONTACTSYNC_TEST_POSTGRES_URL, or CONTACTSYNC_TEST_REQUIRE_POSTGRES=1 to fail instead", redact(server), err)
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer admin.Close()
	ctx := context.Background()
	name := "cs_test_" + randomHex(8)
	stmt := "CREATE DATABASE " + name
	if migrated {
		tpl, err := template(ctx, server)
		if err != nil {
			t.Fatalf("storetest: template database: %v", err)
		}
		stmt += " TEMPLATE " + tpl
	}
	if err := retry(ctx, func() error { _, err := admin.ExecContext(ctx, stmt); return err }); err != nil {
		t.Fatalf("storetest: %s: %v", stmt, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", server)
		if err != nil {
			t.Errorf("storetest: drop %s: %v", name, err)
			return
		}
		defer a.Close()
		if _, err := a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop %s: %v", name, err)
		}
	})
	return withDatabase(server, name)
}

func open(t testing.TB, url string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, url, store.Options{SecretKey: SecretKey, Migrate: true})
	if err != nil {
		t.Fatalf("storetest: open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func serverURL() string {
	if u := os.Getenv("CONTACTSYNC_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

var (
	reachOnce gosync.Once
	reachErr  error
)

// reachable pings the server once per test binary.
func reachable(server string) error {
	reachOnce.Do(func() {
		db, err := sql.Open("pgx", server)
		if err != nil {
			reachErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		reachErr = db.PingContext(ctx)
	})
	return reachErr
}

var (
	tplMu   gosync.Mutex
	tplName string
)

// template returns the name of the migrated template database, building it
// if needed under an advisory lock shared by every test binary.
func template(ctx context.Context, server string) (string, error) {
	tplMu.Lock()
	defer tplMu.Unlock()
	if tplName != "" {
		return tplName, nil
	}
	name := "cs_tpl_" + migrationsHash()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(4243, hashtext($1))", name); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(4243, hashtext($1))", name)
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		// Build under a temporary name and rename when complete, so a
		// crash never leaves a half-migrated template behind.
		building := name + "_building"
		if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
			return "", err
		}
		if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
			return "", err
		}
		s, err := store.Open(ctx, withDatabase(server, building), store.Options{Migrate: true})
		if err != nil {
			return "", err
		}
		s.Close()
		if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
			return "", err
		}
	}
	tplName = name
	return name, nil
}

// migrationsHash names the template after the migration files' contents.
func migrationsHash() string {
	h := sha256.New()
	fsys := migrations.Postgres()
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// retry repeats CREATE DATABASE while the template is briefly in use by a
// concurrent clone.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for range 50 {
		if err = fn(); err == nil || !strings.Contains(err.Error(), "being accessed by other users") {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return err
}

func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func redact(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
