package main

import (
	"context"
	"fmt"

	"github.com/contactsync/contactsync/store"
)

// openStore opens the configured database, closed by Close. With migrate it
// also applies pending migrations.
func (m *Main) openStore(ctx context.Context, migrate bool) (*store.Store, error) {
	s, err := store.Open(ctx, m.Config.DatabaseURL, store.Options{
		SecretKey: m.Config.SecretKey,
		Logger:    m.Logger,
		Migrate:   migrate,
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	m.onClose(s.Close)
	return s, nil
}
