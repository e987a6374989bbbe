package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/config"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	"github.com/contactsync/contactsync/store/storetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

var authorizeURL = regexp.MustCompile(`https?://\S+/services/oauth2/authorize\S*`)

// TestConnect plays the browser: it opens the printed authorize URL on the
// simulator, which approves at once and redirects to connect's callback.
func TestConnect(t *testing.T) {
	sim := salesforcetest.NewServer(salesforcetest.Options{Contacts: 4, Seed: 5})
	t.Cleanup(sim.Close)
	dbURL := storetest.SQLiteURL(t)
	env := simEnv(sim, dbURL)
	delete(env, config.EnvSalesforceRefreshToken) // connect obtains one

	stdout := &syncBuffer{}
	m := &Main{
		Args:      []string{"connect", "--listen", "127.0.0.1:0", "--timeout", "30s"},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Stdin:     strings.NewReader(""), Stdout: stdout, Stderr: &syncBuffer{},
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background()) }()

	var link string
	waitFor(t, 10*time.Second, "the authorize URL", func() bool {
		link = authorizeURL.FindString(stdout.String())
		return link != ""
	})
	if !strings.Contains(link, "code_challenge=") || !strings.Contains(link, "code_challenge_method=S256") {
		t.Errorf("authorize URL lacks PKCE: %s", link)
	}

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	browser := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	// A callback with a forged state is refused and changes nothing.
	cbBase := regexp.MustCompile(`redirect_uri=([^&]+)`).FindStringSubmatch(link)
	if cbBase == nil {
		t.Fatalf("no redirect_uri in %s", link)
	}
	callback, err := url.QueryUnescape(cbBase[1])
	if err != nil {
		t.Fatal(err)
	}
	resp, err := browser.Get(callback + "?code=x&state=forged")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("forged callback: status %d, want 400", resp.StatusCode)
	}

	resp, err = browser.Get(link)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("connected")) {
		t.Fatalf("callback page: %d %s", resp.StatusCode, body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("connect did not finish")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if !strings.Contains(out, "Connected workspace \"default\" to Salesforce org "+sim.OrgID()) ||
		!strings.Contains(out, sim.Options().Username) {
		t.Errorf("connect output lacks the org and user:\n%s", out)
	}

	st := openTestStore(t, dbURL)
	conn, err := st.Connection(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if conn.RefreshToken == "" || conn.InstanceURL != sim.InstanceURL || conn.State != contactsync.StateConnected {
		t.Fatalf("stored connection = %v (token set: %v)", conn, conn.RefreshToken != "")
	}
	var raw []byte
	if err := st.DB().Raw("SELECT refresh_token FROM connections WHERE workspace_id = ?", "default").Row().Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || bytes.Contains(raw, []byte(conn.RefreshToken)) {
		t.Fatal("the refresh token is stored in the clear")
	}

	// The stored token is the one sync uses (the environment has none),
	// and Salesforce accepts it.
	sum, _, err := execMain(t, env, "sync")
	if err != nil {
		t.Fatalf("sync with the connected token: %v", err)
	}
	if _, sums := splitOutput(t, sum); len(sums) != 1 || sums[0].Pulled != 4 {
		t.Fatalf("sync after connect = %+v, want 4 pulled", sums)
	}
	// Once the token is revoked, sync fails: it really was that token.
	sim.RevokeRefreshTokens()
	if _, _, err := execMain(t, env, "sync"); err == nil {
		t.Fatal("sync succeeded with a revoked token")
	}
}

func TestConnect_RequiresSecretKey(t *testing.T) {
	sim := salesforcetest.NewServer(salesforcetest.Options{})
	t.Cleanup(sim.Close)
	env := simEnv(sim, storetest.SQLiteURL(t))
	delete(env, config.EnvSalesforceRefreshToken)
	delete(env, config.EnvSecretKey)
	_, _, err := execMain(t, env, "connect", "--listen", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "CONTACTSYNC_SECRET_KEY") {
		t.Fatalf("err = %v, want one naming CONTACTSYNC_SECRET_KEY", err)
	}
}
