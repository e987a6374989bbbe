package store

import (
	"context"
	"fmt"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Connection returns the workspace's connection with its refresh token
// decrypted, or ErrNotFound. A token saved under another secret key fails
// with ErrDecrypt; without a key, with ErrNoSecretKey.
func (s *Store) Connection(ctx context.Context, ws string) (contactsync.Connection, error) {
	var rows []struct {
		LoginURL     string
		InstanceURL  string
		AuthFlow     string
		Username     string
		RefreshToken []byte
		State        string
		StateReason  string
		UpdatedAt    dbTime
	}
	err := s.db.WithContext(ctx).Raw(`SELECT login_url, instance_url, auth_flow, username, refresh_token, state,
		state_reason, updated_at FROM connections WHERE workspace_id = ?`, ws).Scan(&rows).Error
	if err != nil {
		return contactsync.Connection{}, wrap("read connection", err)
	}
	if len(rows) == 0 {
		return contactsync.Connection{}, fmt.Errorf("connection of workspace %q: %w", ws, contactsync.ErrNotFound)
	}
	r := rows[0]
	c := contactsync.Connection{
		WorkspaceID: ws, LoginURL: r.LoginURL, InstanceURL: r.InstanceURL, AuthFlow: contactsync.AuthFlow(r.AuthFlow),
		Username: r.Username, State: contactsync.ConnectionState(r.State), StateReason: r.StateReason, UpdatedAt: r.UpdatedAt.Time,
	}
	if len(r.RefreshToken) > 0 {
		if c.RefreshToken, err = s.aead.open(r.RefreshToken, ws); err != nil {
			return contactsync.Connection{}, fmt.Errorf("read connection of workspace %q: %w", ws, err)
		}
	}
	return c, nil
}

// SaveConnection creates or replaces the workspace's connection, encrypting
// its refresh token. An empty State is saved as StateConnected.
func (s *Store) SaveConnection(ctx context.Context, c contactsync.Connection) error {
	var token []byte
	if c.RefreshToken != "" {
		var err error
		if token, err = s.aead.seal(c.RefreshToken, c.WorkspaceID); err != nil {
			return fmt.Errorf("save connection of workspace %q: %w", c.WorkspaceID, err)
		}
	}
	if c.State == "" {
		c.State = contactsync.StateConnected
	}
	err := s.db.WithContext(ctx).Exec(`INSERT INTO connections (workspace_id, login_url, instance_url, auth_flow, username,
		refresh_token, state, state_reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, `+s.now()+`)
		ON CONFLICT (workspace_id) DO UPDATE SET login_url = excluded.login_url, instance_url = excluded.instance_url,
		auth_flow = excluded.auth_flow, username = excluded.username, refresh_token = excluded.refresh_token,
		state = excluded.state, state_reason = excluded.state_reason, updated_at = excluded.updated_at`,
		c.WorkspaceID, c.LoginURL, c.InstanceURL, string(c.AuthFlow), c.Username, token, string(c.State), c.StateReason).Error
	return wrap("save connection", err)
}

// SetConnectionState records the connection's state and why.
func (s *Store) SetConnectionState(ctx context.Context, ws string, state contactsync.ConnectionState, reason string) error {
	res := s.db.WithContext(ctx).Exec("UPDATE connections SET state = ?, state_reason = ?, updated_at = "+s.now()+" WHERE workspace_id = ?",
		string(state), reason, ws)
	if res.Error != nil {
		return wrap("set connection state", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("connection of workspace %q: %w", ws, contactsync.ErrNotFound)
	}
	return nil
}
