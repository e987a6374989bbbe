package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/contactsync/contactsync/store"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

func TestConnection(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustWorkspace(t, s, "w")
		mustWorkspace(t, s, "v")
		if _, err := s.Connection(ctx, "w"); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("Connection before save: %v, want ErrNotFound", err)
		}
		const token = "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJrsecret-refresh-token"
		c := contactsync.Connection{WorkspaceID: "w", LoginURL: "https://login.salesforce.com", InstanceURL: "https://x.my.salesforce.com",
			AuthFlow: contactsync.AuthRefreshToken, Username: "u@example.com", RefreshToken: token}
		if err := s.SaveConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Connection(ctx, "w")
		if err != nil || got.RefreshToken != token || got.State != contactsync.StateConnected || got.InstanceURL != c.InstanceURL || got.UpdatedAt.IsZero() {
			t.Fatalf("Connection = %+v, %v", got, err)
		}
		var stored []byte
		s.DB().Raw("SELECT refresh_token FROM connections WHERE workspace_id = 'w'").Row().Scan(&stored)
		if len(stored) == 0 || bytes.Contains(stored, []byte(token)) || bytes.Contains(stored, []byte("secret-refresh")) {
			t.Fatalf("refresh token stored in the clear: %q", stored)
		}
		// Two saves of one token differ (random nonce).
		if err := s.SaveConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		var stored2 []byte
		s.DB().Raw("SELECT refresh_token FROM connections WHERE workspace_id = 'w'").Row().Scan(&stored2)
		if bytes.Equal(stored, stored2) {
			t.Fatal("ciphertexts of two saves are equal")
		}
		// A ciphertext copied to another workspace does not decrypt.
		if err := s.SaveConnection(ctx, contactsync.Connection{WorkspaceID: "v"}); err != nil {
			t.Fatal(err)
		}
		s.DB().Exec("UPDATE connections SET refresh_token = ? WHERE workspace_id = 'v'", stored2)
		if _, err := s.Connection(ctx, "v"); !errors.Is(err, store.ErrDecrypt) {
			t.Fatalf("copied ciphertext: err = %v, want ErrDecrypt", err)
		}

		if err := s.SetConnectionState(ctx, "w", contactsync.StateNeedsReauth, "run contactsync connect"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Connection(ctx, "w")
		if got.State != contactsync.StateNeedsReauth || got.StateReason != "run contactsync connect" || got.RefreshToken != token {
			t.Fatalf("after SetConnectionState = %+v", got)
		}
		if err := s.SetConnectionState(ctx, "nope", contactsync.StateConnected, ""); !errors.Is(err, contactsync.ErrNotFound) {
			t.Fatalf("SetConnectionState(missing) = %v, want ErrNotFound", err)
		}
	})
}

func TestConnectionKeys(t *testing.T) {
	ctx := context.Background()
	path := storetest.SQLiteURL(t)
	open := func(key []byte) *store.Store {
		s, err := store.Open(ctx, path, store.Options{SecretKey: key, Migrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s := open(storetest.SecretKey)
	mustWorkspace(t, s, "w")
	if err := s.SaveConnection(ctx, contactsync.Connection{WorkspaceID: "w", RefreshToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	wrong := open(bytes.Repeat([]byte{7}, 32))
	if _, err := wrong.Connection(ctx, "w"); !errors.Is(err, store.ErrDecrypt) {
		t.Fatalf("wrong key: err = %v, want ErrDecrypt", err)
	}
	wrong.Close()
	none := open(nil)
	if _, err := none.Connection(ctx, "w"); !errors.Is(err, store.ErrNoSecretKey) {
		t.Fatalf("no key, read: err = %v, want ErrNoSecretKey", err)
	}
	if err := none.SaveConnection(ctx, contactsync.Connection{WorkspaceID: "w", RefreshToken: "tok"}); !errors.Is(err, store.ErrNoSecretKey) {
		t.Fatalf("no key, save: err = %v, want ErrNoSecretKey", err)
	}
	// Without a token, no key is needed.
	if err := none.SaveConnection(ctx, contactsync.Connection{WorkspaceID: "w", AuthFlow: contactsync.AuthClientCredentials}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(ctx, path, store.Options{SecretKey: []byte("short")}); err == nil {
		t.Fatal("Open with a 5-byte key succeeded")
	}
}
