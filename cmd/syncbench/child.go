package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

// childSync is the -driver internal stand-in for `contactsync sync`: one
// pass over the default workspace, configured from the same CONTACTSYNC_*
// variables, its run summary printed as one JSON line. It exists for
// comparing against the real command and for trees where that command is
// not built yet.
func childSync(ctx context.Context) error {
	env := os.Getenv
	if path := env("SYNCBENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if path := env("SYNCBENCH_MEMPROFILE"); path != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	key, err := hex.DecodeString(env("CONTACTSYNC_SECRET_KEY"))
	if err != nil {
		return fmt.Errorf("CONTACTSYNC_SECRET_KEY: %w", err)
	}
	st, err := store.Open(ctx, env("CONTACTSYNC_DATABASE_URL"), store.Options{SecretKey: key, Migrate: true})
	if err != nil {
		return err
	}
	defer st.Close()
	ws := contactsync.DefaultWorkspace
	if _, err := st.EnsureWorkspace(ctx, ws, contactsync.DefaultSettings()); err != nil {
		return err
	}
	if _, err := st.Connection(ctx, ws); err != nil {
		err = st.SaveConnection(ctx, contactsync.Connection{WorkspaceID: ws, LoginURL: env("CONTACTSYNC_SALESFORCE_LOGIN_URL"),
			AuthFlow: contactsync.AuthRefreshToken, RefreshToken: env("CONTACTSYNC_SALESFORCE_REFRESH_TOKEN"), State: contactsync.StateConnected})
		if err != nil {
			return err
		}
	}
	client, err := salesforce.New(salesforce.Config{
		LoginURL: env("CONTACTSYNC_SALESFORCE_LOGIN_URL"),
		Credentials: salesforce.Credentials{Flow: contactsync.AuthRefreshToken, ClientID: env("CONTACTSYNC_SALESFORCE_CLIENT_ID"),
			ClientSecret: env("CONTACTSYNC_SALESFORCE_CLIENT_SECRET"), RefreshToken: env("CONTACTSYNC_SALESFORCE_REFRESH_TOKEN")},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	src := salesforce.NewSource(client)
	eng := contactsync.NewEngine(st, contactsync.SourceProviderFunc(
		func(context.Context, contactsync.Workspace) (contactsync.Source, error) { return src, nil }), time.Minute)
	eng.Audit = contactsync.NewAuditor(slog.DiscardHandler)
	if v := env("CONTACTSYNC_BULK_THRESHOLD"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("CONTACTSYNC_BULK_THRESHOLD: %w", err)
		}
		if n == 0 {
			n = -1
		}
		eng.BulkThreshold = n
	}
	sum, err := eng.RunWorkspace(ctx, ws, contactsync.Options{})
	if err != nil {
		return err
	}
	if path := env("SYNCBENCH_HEAPPROFILE"); path != "" {
		// What the pass still holds at its end (the Matcher's cache, the
		// store's pools), after a collection: the inuse heap.
		runtime.GC()
		if f, err := os.Create(path); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
		runtime.KeepAlive(eng)
	}
	return json.NewEncoder(os.Stdout).Encode(sum)
}
