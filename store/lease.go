package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Leases are rows compared against the database's clock, never a process's:
// replicas with skewed clocks still agree on who holds a workspace.

// AcquireLease takes the workspace's lease for ttl, or returns ErrLeaseHeld
// while another holder's lease has not expired. The same holder renews.
func (s *Store) AcquireLease(ctx context.Context, ws, holder string, ttl time.Duration) (contactsync.Lease, error) {
	if holder == "" || ttl <= 0 {
		return contactsync.Lease{}, fmt.Errorf("%w: lease needs a holder and a positive ttl", contactsync.ErrInvalid)
	}
	var rows []struct{ ExpiresAt dbTime }
	err := s.db.WithContext(ctx).Raw(`INSERT INTO leases (workspace_id, holder, acquired_at, expires_at)
		VALUES (?, ?, `+s.now()+`, `+s.nowPlus()+`)
		ON CONFLICT (workspace_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
		acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END
		WHERE leases.holder = excluded.holder OR leases.expires_at <= `+s.now()+`
		RETURNING expires_at`, ws, holder, s.interval(ttl)).Scan(&rows).Error
	if err != nil {
		return contactsync.Lease{}, wrap("acquire lease", err)
	}
	if len(rows) == 0 {
		return contactsync.Lease{}, fmt.Errorf("workspace %q: %w", ws, contactsync.ErrLeaseHeld)
	}
	return contactsync.Lease{WorkspaceID: ws, Holder: holder, ExpiresAt: rows[0].ExpiresAt.Time}, nil
}

// RenewLease extends a lease its holder still has, or returns ErrLeaseLost.
func (s *Store) RenewLease(ctx context.Context, l contactsync.Lease, ttl time.Duration) (contactsync.Lease, error) {
	if ttl <= 0 {
		return contactsync.Lease{}, fmt.Errorf("%w: lease ttl must be positive", contactsync.ErrInvalid)
	}
	var rows []struct{ ExpiresAt dbTime }
	err := s.db.WithContext(ctx).Raw(`UPDATE leases SET expires_at = `+s.nowPlus()+`
		WHERE workspace_id = ? AND holder = ? AND expires_at > `+s.now()+` RETURNING expires_at`,
		s.interval(ttl), l.WorkspaceID, l.Holder).Scan(&rows).Error
	if err != nil {
		return contactsync.Lease{}, wrap("renew lease", err)
	}
	if len(rows) == 0 {
		return contactsync.Lease{}, fmt.Errorf("workspace %q: %w", l.WorkspaceID, contactsync.ErrLeaseLost)
	}
	l.ExpiresAt = rows[0].ExpiresAt.Time
	return l, nil
}

// ReleaseLease gives the lease up if l still holds it.
func (s *Store) ReleaseLease(ctx context.Context, l contactsync.Lease) error {
	err := s.db.WithContext(ctx).Exec("DELETE FROM leases WHERE workspace_id = ? AND holder = ?", l.WorkspaceID, l.Holder).Error
	return wrap("release lease", err)
}

// checkLease fails with ErrLeaseLost unless holder has the workspace's lease
// now; on Postgres the row stays locked until the transaction ends, so a
// takeover waits for the commit.
func (s *Store) checkLease(tx *gorm.DB, ws, holder string) error {
	q := "SELECT count(*) FROM leases WHERE workspace_id = ? AND holder = ? AND expires_at > " + s.now()
	if s.pg() {
		q = "SELECT count(*) FROM (SELECT 1 FROM leases WHERE workspace_id = ? AND holder = ? AND expires_at > now() FOR UPDATE) l"
	}
	var n int
	if err := tx.Raw(q, ws, holder).Row().Scan(&n); err != nil {
		return wrap("check lease", err)
	}
	if n == 0 {
		return fmt.Errorf("workspace %q held by %q: %w", ws, holder, contactsync.ErrLeaseLost)
	}
	return nil
}
