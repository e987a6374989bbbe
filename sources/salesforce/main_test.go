package salesforce_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind: token fetches and
// retries must end with their calls.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newSim starts an in-memory org for one test.
func newSim(tb testing.TB, opts salesforcetest.Options) *salesforcetest.Server {
	tb.Helper()
	sim := salesforcetest.NewServer(opts)
	tb.Cleanup(sim.Close)
	return sim
}

// newClient returns a refresh-token client for sim with fast retries; mod
// may adjust the config.
func newClient(tb testing.TB, sim *salesforcetest.Server, mod func(*salesforce.Config)) *salesforce.Client {
	tb.Helper()
	o := sim.Options()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tb.Cleanup(tr.CloseIdleConnections)
	cfg := salesforce.Config{
		LoginURL:   sim.LoginURL,
		HTTPClient: &http.Client{Transport: tr, Timeout: time.Minute},
		Credentials: salesforce.Credentials{
			ClientID:     o.ClientID,
			ClientSecret: o.ClientSecret,
			RefreshToken: o.RefreshToken,
		},
		Retry:  salesforce.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := salesforce.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

func asAPIError(err error) (*salesforce.APIError, bool) {
	var e *salesforce.APIError
	ok := errors.As(err, &e)
	return e, ok
}
