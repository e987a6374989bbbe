package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sfsim:", err)
		os.Exit(1)
	}
}

// startup is the line printed once the org is ready.
type startup struct {
	LoginURL     string `json:"login_url"`
	InstanceURL  string `json:"instance_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
	Username     string `json:"username"`
	Password     string `json:"password"`
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sfsim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	var opts salesforcetest.Options
	fs.IntVar(&opts.Contacts, "contacts", 1000, "number of contacts to seed")
	fs.Int64Var(&opts.Seed, "seed", 1, "seed of the generated contacts")
	fs.StringVar(&opts.ClientID, "client-id", "", "connected app consumer key (default sim-client-id)")
	fs.StringVar(&opts.ClientSecret, "client-secret", "", "connected app consumer secret (default sim-client-secret)")
	fs.StringVar(&opts.RefreshToken, "refresh-token", "", "a refresh token valid from the start (default sim-refresh-token)")
	fs.StringVar(&opts.Username, "username", "", "the API user's username")
	fs.StringVar(&opts.Password, "password", "", "the API user's password")
	fs.IntVar(&opts.APILimit, "api-limit", 100000, "rolling 24-hour API call budget")
	fs.DurationVar(&opts.SessionTimeout, "session-timeout", 2*time.Hour, "access token lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if opts.Contacts < 0 {
		return fmt.Errorf("-contacts must be at least 0, got %d", opts.Contacts)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	sim := salesforcetest.NewUnstartedServer(opts)
	// Seeding leaves garbage behind; hand it back before serving for years.
	debug.FreeOSMemory()
	base := "http://" + ln.Addr().String()
	sim.LoginURL, sim.InstanceURL = base, base
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}

	o := sim.Options()
	line, err := json.Marshal(startup{LoginURL: base, InstanceURL: base, ClientID: o.ClientID,
		ClientSecret: o.ClientSecret, RefreshToken: o.RefreshToken, Username: o.Username, Password: o.Password})
	if err != nil {
		return fmt.Errorf("encode startup line: %w", err)
	}
	fmt.Println(string(line))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
