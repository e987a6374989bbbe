package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	gosync "sync"

	"github.com/jackc/pgx/v5"

	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

func pgExec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// preparePushes makes n local edits waiting to be pushed, through the
// store's own API (so the outbox is written as the contacts API writes it):
// for n mirrored Salesforce Contacts, a local contact linked to it with the
// mirror's values as the base, then an edit of its title.
func preparePushes(ctx context.Context, dbURL, secretKey string, n int) (int, error) {
	key, err := hex.DecodeString(secretKey)
	if err != nil {
		return 0, err
	}
	st, err := store.Open(ctx, dbURL, store.Options{SecretKey: key})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var ids []string
	err = st.DB().WithContext(ctx).Raw(`SELECT id FROM sf_contacts WHERE workspace_id = ? AND NOT is_deleted
		AND id NOT IN (SELECT salesforce_id FROM links WHERE workspace_id = ?) ORDER BY id LIMIT ?`,
		contactsync.DefaultWorkspace, contactsync.DefaultWorkspace, n).Scan(&ids).Error
	if err != nil {
		return 0, fmt.Errorf("pick mirrored contacts: %w", err)
	}
	ws := contactsync.DefaultWorkspace
	const workers = 4
	var wg gosync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() { errs[w] = prepare(ctx, st, ws, ids, w, workers) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	pending, _, err := st.OutboxStats(ctx, ws)
	if err != nil {
		return 0, err
	}
	return pending, nil
}

func prepare(gctx context.Context, st *store.Store, ws string, ids []string, w, workers int) error {
	{
		{
			for i := w; i < len(ids); i += workers {
				m, err := st.Mirror(gctx, ws, ids[i:i+1])
				if err != nil {
					return err
				}
				rec := m[ids[i]]
				c, err := st.CreateContact(gctx, ws, contactsync.Contact{
					FirstName: rec.Fields["FirstName"], LastName: rec.Fields["LastName"],
					Title: rec.Fields["Title"], Source: contactsync.SourceSalesforce})
				if err != nil {
					return fmt.Errorf("create contact: %w", err)
				}
				err = st.Link(gctx, contactsync.Link{WorkspaceID: ws, ContactID: c.ID, SalesforceID: rec.ID, Base: rec.Fields})
				if err != nil {
					return fmt.Errorf("link: %w", err)
				}
				_, err = st.UpdateContact(gctx, ws, c.ID, func(c *contactsync.Contact) error {
					c.Title = strings.TrimSpace("Benchmark edit " + c.Title)
					return nil
				})
				if err != nil {
					return fmt.Errorf("edit: %w", err)
				}
			}
			return nil
		}
	}
}
