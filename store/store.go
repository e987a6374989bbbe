package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	gosync "sync"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	contactsync "github.com/contactsync/contactsync/sync"
)

var _ contactsync.Store = (*Store)(nil)

// The dialects a Store runs on, as returned by Dialect.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// Options configure Open.
type Options struct {
	// SecretKey is the 32-byte AES-256 key that encrypts connection refresh
	// tokens. When nil, connections without a refresh token can still be
	// stored, but saving or reading a refresh token fails with a clear error.
	SecretKey []byte
	// Logger receives operational messages (never SQL values or secrets).
	// Nil discards them.
	Logger *slog.Logger
	// Migrate applies pending migrations while opening.
	Migrate bool
}

// Store implements contactsync.Store with gorm on PostgreSQL or SQLite.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect string
	aead    *cipherSuite
	log     *slog.Logger

	// known caches workspace ids seen to exist; workspaces are never
	// deleted, so a hit saves a round trip.
	known gosync.Map
}

// Open connects to databaseURL and checks the connection. A URL starting with
// postgres:// or postgresql:// selects PostgreSQL; anything else is a SQLite
// database: a file path, "sqlite:path" or a "file:" URL.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	aead, err := newCipherSuite(opts.SecretKey)
	if err != nil {
		return nil, err
	}
	s := &Store{aead: aead, log: log}
	var dialector gorm.Dialector
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		s.dialect = DialectPostgres
		dialector = postgres.New(postgres.Config{DSN: databaseURL})
	case databaseURL == "":
		return nil, fmt.Errorf("open database: empty database URL")
	default:
		s.dialect = DialectSQLite
		dialector = sqlite.Open(sqliteDSN(databaseURL))
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard, // SQL values may hold personal data
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true,
		TranslateError:         false,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", s.dialect, err)
	}
	s.db = db
	if s.sqlDB, err = db.DB(); err != nil {
		return nil, fmt.Errorf("open %s database: %w", s.dialect, err)
	}
	if s.dialect == DialectSQLite {
		// SQLite has one writer; one connection keeps transactions from
		// failing with SQLITE_BUSY inside this process.
		s.sqlDB.SetMaxOpenConns(1)
	} else {
		s.sqlDB.SetMaxOpenConns(20)
		s.sqlDB.SetMaxIdleConns(10)
		s.sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if opts.Migrate {
		if err := s.MigrateUp(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// sqliteDSN turns a path, "sqlite:path" or "file:" URL into a DSN with the
// pragmas contactsync relies on.
func sqliteDSN(u string) string {
	u = strings.TrimPrefix(u, "sqlite://")
	u = strings.TrimPrefix(u, "sqlite:")
	if !strings.HasPrefix(u, "file:") {
		u = "file:" + u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_time_format=sqlite&_txlock=immediate"
}

// Dialect returns DialectPostgres or DialectSQLite.
func (s *Store) Dialect() string { return s.dialect }

// DB returns the underlying gorm handle, for tests and diagnostics.
func (s *Store) DB() *gorm.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", s.dialect, err)
	}
	return nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	if err := s.sqlDB.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

func (s *Store) pg() bool { return s.dialect == DialectPostgres }

// now is the SQL expression for the database's current time, in UTC and, on
// SQLite, in the text format the driver writes times in (so that text
// comparison orders times).
func (s *Store) now() string {
	if s.pg() {
		return "now()"
	}
	return "strftime('%Y-%m-%d %H:%M:%f+00:00','now')"
}

// nowPlus is the SQL expression for the database's time plus the duration
// bound to its one placeholder (see interval).
func (s *Store) nowPlus() string {
	if s.pg() {
		return "(now() + make_interval(secs => ?))"
	}
	return "strftime('%Y-%m-%d %H:%M:%f+00:00','now',?)"
}

// interval is the argument nowPlus expects for d.
func (s *Store) interval(d time.Duration) any {
	if s.pg() {
		return d.Seconds()
	}
	return fmt.Sprintf("%+.3f seconds", d.Seconds())
}

// dbNow reads the database's current time.
func (s *Store) dbNow(ctx context.Context, db *gorm.DB) (time.Time, error) {
	var t dbTime
	if err := db.WithContext(ctx).Raw("SELECT " + s.now()).Row().Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("read database time: %w", err)
	}
	return t.Time, nil
}

// maxParams is how many bind parameters one statement carries at most:
// Postgres's limit (65535), and on SQLite well under its limit (32766)
// because the driver matches each parameter by a linear search over all
// arguments, which makes binding quadratic in their number.
func (s *Store) maxParams() int {
	if s.pg() {
		return 65535
	}
	return sqliteBatchParams
}

// sqliteBatchParams keeps binding cheap on SQLite; a 2,000-record page still
// takes a few dozen in-process statements.
const sqliteBatchParams = 1000

// tx runs fn in a transaction.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(fn)
}

// lockWorkspace serializes writers that create contacts or change their keys
// in one workspace, so the "matches no existing contact" check of one
// transaction cannot miss another's concurrent insert. SQLite serializes all
// writers already.
func (s *Store) lockWorkspace(tx *gorm.DB, ws string) error {
	if !s.pg() {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(4242, hashtext(?))", ws).Error; err != nil {
		return fmt.Errorf("lock workspace: %w", err)
	}
	return nil
}

// mapErr translates constraint violations into the domain's sentinels. The
// message is fixed: the database's own text (which names tables and
// constraints and may quote values) stays out of errors that reach clients;
// it remains reachable with errors.As for logs.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return contactsync.ErrNotFound
	}
	switch {
	case isUnique(err):
		return &constraintError{kind: contactsync.ErrConflict, msg: "unique constraint violated", cause: err}
	case isForeignKey(err):
		return &constraintError{kind: contactsync.ErrNotFound, msg: "referenced row does not exist", cause: err}
	}
	return err
}

// constraintError is a constraint violation mapped to a domain sentinel:
// errors.Is matches kind, errors.As reaches the driver's error, and Error
// shows neither the driver's message nor any value.
type constraintError struct {
	kind  error
	msg   string
	cause error
}

func (e *constraintError) Error() string   { return e.kind.Error() + ": " + e.msg }
func (e *constraintError) Unwrap() []error { return []error{e.kind, e.cause} }

// wrap adds context to err after mapping it.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, mapErr(err))
}
