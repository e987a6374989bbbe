package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/contactsync/contactsync/migrations"
)

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// provider builds a goose provider for the store's dialect. On Postgres a
// session advisory lock makes concurrent migrators (several replicas starting
// at once) take turns.
func (s *Store) provider() (*goose.Provider, error) {
	var (
		dialect goose.Dialect
		fsys    fs.FS
		opts    = []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	)
	if s.pg() {
		dialect, fsys = goose.DialectPostgres, migrations.Postgres()
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	} else {
		dialect, fsys = goose.DialectSQLite3, migrations.SQLite()
	}
	p, err := goose.NewProvider(dialect, s.sqlDB, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// MigrateUp applies every pending migration.
func (s *Store) MigrateUp(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	for _, r := range res {
		if r.Error == nil {
			s.log.Info("migration applied", "version", r.Source.Version, "name", path.Base(r.Source.Path), "duration", r.Duration)
		}
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateDown rolls back the most recent migration.
func (s *Store) MigrateDown(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	r, err := p.Down(ctx)
	if err != nil {
		if errors.Is(err, goose.ErrNoNextVersion) {
			return fmt.Errorf("migrate down: no migration to roll back")
		}
		return fmt.Errorf("migrate down: %w", err)
	}
	s.log.Info("migration rolled back", "version", r.Source.Version, "name", path.Base(r.Source.Path))
	return nil
}

// MigrationStatus lists every known migration, oldest first.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, len(st))
	for i, m := range st {
		out[i] = MigrationStatus{
			Version:   m.Source.Version,
			Name:      path.Base(m.Source.Path),
			Applied:   m.State == goose.StateApplied,
			AppliedAt: m.AppliedAt.UTC(),
		}
	}
	return out, nil
}

// AtHead reports whether every migration is applied (for readiness checks).
func (s *Store) AtHead(ctx context.Context) (bool, error) {
	p, err := s.provider()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("migration status: %w", err)
	}
	return !pending, nil
}
