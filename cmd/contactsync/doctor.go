package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/contactsync/contactsync/cmd/contactsync/internal/httpapi"
	"github.com/contactsync/contactsync/config"
	"github.com/contactsync/contactsync/sources/salesforce"
	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

const doctorUsage = `doctor [--config FILE] [--workspace W]

Checks the configuration, the database and its migrations, the workspace's
Salesforce connection, token refresh, REST API access and the org's daily API
budget. Prints PASS, WARN or FAIL per check, with the fix for each problem,
and exits non-zero when a check failed. It changes nothing.`

// Fixes doctor prints; the API one is also what the engine records.
const (
	fixReconnect  = "run `contactsync connect` to authorize the org again (the refresh token was revoked, expired, or issued to another connected app)"
	fixAPIEnabled = "give the integration user API access: Setup → Users → Profiles → (the user's profile) → Administrative Permissions → tick API Enabled (or grant it with a permission set); Professional Edition orgs need the API add-on"
)

// doctor collects check results.
type doctor struct {
	w      io.Writer
	failed int
}

func (d *doctor) report(status, check, detail, fix string) {
	fmt.Fprintf(d.w, "%-4s  %-16s %s\n", status, check, detail)
	if fix != "" {
		fmt.Fprintf(d.w, "      %-16s fix: %s\n", "", fix)
	}
	if status == "FAIL" {
		d.failed++
	}
}

func (d *doctor) pass(check, detail string)      { d.report("PASS", check, detail, "") }
func (d *doctor) warn(check, detail, fix string) { d.report("WARN", check, detail, fix) }
func (d *doctor) fail(check, detail, fix string) { d.report("FAIL", check, detail, fix) }

func runDoctor(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("doctor", doctorUsage)
	file := configFlag(fs)
	wsFlag := fs.String("workspace", "", "`workspace` whose connection to check (default CONTACTSYNC_WORKSPACE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("doctor takes no arguments")
	}
	d := &doctor{w: m.Stdout}
	defer func() { fmt.Fprintln(m.Stdout) }()

	if err := m.loadConfig(*file); err != nil {
		d.fail("config", err.Error(), "correct the variables named above (contactsync help config lists them all)")
		return errors.New("doctor: 1 check failed")
	}
	cfg := m.Config
	ws := *wsFlag
	if ws == "" {
		ws = cfg.Workspace
	}
	d.checkConfig(cfg)
	st := d.checkDatabase(ctx, m)
	conn, ok := d.checkConnection(ctx, cfg, st, ws)
	if ok {
		d.checkSalesforce(ctx, m, cfg, conn)
	}
	if d.failed > 0 {
		return fmt.Errorf("doctor: %d check(s) failed", d.failed)
	}
	return nil
}

func (d *doctor) checkConfig(cfg config.Config) {
	d.pass("config", fmt.Sprintf("valid (workspace %s, login %s, schedule %s)", cfg.Workspace, cfg.Salesforce.LoginURL, cfg.Schedule))
	if err := httpapi.CheckListenAddr(cfg.HTTPAddr, cfg.AdminToken.Reveal()); err != nil {
		d.fail("http", err.Error(), "set "+config.EnvAdminToken+" (openssl rand -hex 32) or listen on 127.0.0.1")
	} else if !cfg.AdminToken.IsSet() {
		d.warn("http", "no "+config.EnvAdminToken+": the API is open to anyone on this machine", "set "+config.EnvAdminToken+" (openssl rand -hex 32)")
	} else {
		d.pass("http", "admin token set; listening on "+cfg.HTTPAddr)
	}
	if len(cfg.SecretKey) == 0 {
		d.warn("secret key", "no "+config.EnvSecretKey+": refresh tokens cannot be stored", "set "+config.EnvSecretKey+" (openssl rand -base64 32) before contactsync connect")
	}
}

func (d *doctor) checkDatabase(ctx context.Context, m *Main) *store.Store {
	st, err := m.openStore(ctx, false)
	if err != nil {
		d.fail("database", err.Error(), "check "+config.EnvDatabaseURL+" and that the database server is reachable")
		return nil
	}
	head, err := st.AtHead(ctx)
	switch {
	case err != nil:
		d.fail("migrations", err.Error(), "run contactsync migrate status to see the migrations")
		return nil
	case !head:
		d.fail("migrations", "pending migrations", "run contactsync migrate up (serve and sync also apply them at start)")
		return nil
	}
	d.pass("database", st.Dialect()+" reachable, migrations at head")
	return st
}

// checkConnection finds the credentials the workspace syncs with: its stored
// connection, or the environment's.
func (d *doctor) checkConnection(ctx context.Context, cfg config.Config, st *store.Store, ws string) (contactsync.Connection, bool) {
	sf := cfg.Salesforce
	env := contactsync.Connection{WorkspaceID: ws, LoginURL: sf.LoginURL, AuthFlow: sf.Auth, Username: sf.Username, RefreshToken: sf.RefreshToken.Reveal()}
	envUsable := sf.Configured() && ws == cfg.Workspace && (sf.Auth != contactsync.AuthRefreshToken || sf.RefreshToken.IsSet())
	if !sf.Configured() {
		d.fail("salesforce app", config.EnvSalesforceClientID+" is not set", "create a connected app (see README, Quick start for a real org) and set "+config.EnvSalesforceClientID+" and "+config.EnvSalesforceClientSecret)
		return env, false
	}
	if st == nil {
		if envUsable {
			return env, true
		}
		return env, false
	}
	conn, err := st.Connection(ctx, ws)
	switch {
	case errors.Is(err, contactsync.ErrNotFound):
		if envUsable {
			d.pass("connection", "none stored yet; using the credentials from the environment")
			return env, true
		}
		d.fail("connection", fmt.Sprintf("workspace %q has no Salesforce connection", ws), "run contactsync connect")
		return env, false
	case errors.Is(err, store.ErrDecrypt) || errors.Is(err, store.ErrNoSecretKey):
		d.fail("connection", err.Error(), "set the "+config.EnvSecretKey+" the token was saved with, or run contactsync connect again")
		return env, false
	case err != nil:
		d.fail("connection", err.Error(), "check the database")
		return env, false
	}
	switch conn.State {
	case contactsync.StateNeedsReauth:
		d.fail("connection", "needs re-authorization: "+conn.StateReason, fixReconnect)
	case contactsync.StateAPIDisabled, contactsync.StateRateLimited:
		d.warn("connection", "last pass recorded "+string(conn.State)+": "+conn.StateReason+" (checked again below)", "")
	default:
		d.pass("connection", fmt.Sprintf("%s, instance %s", conn.State, conn.InstanceURL))
	}
	return conn, true
}

func (d *doctor) checkSalesforce(ctx context.Context, m *Main, cfg config.Config, conn contactsync.Connection) {
	p := newSourceProvider(nil, cfg, m.Logger)
	defer p.Close()
	client, err := p.client(conn)
	if err != nil {
		d.fail("token refresh", err.Error(), "check the "+config.EnvSalesforceAuth+" settings")
		return
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err = client.Authenticate(ctx)
	var apiErr *salesforce.APIError
	switch {
	case errors.Is(err, contactsync.ErrReauthRequired):
		d.fail("token refresh", err.Error(), fixReconnect)
		return
	case err != nil:
		d.fail("token refresh", err.Error(), "check "+config.EnvSalesforceLoginURL+" (https://test.salesforce.com for sandboxes), the client id and secret, and network access to Salesforce")
		return
	}
	d.pass("token refresh", "access token issued for "+client.InstanceURL())

	limits, err := client.Limits(ctx)
	switch {
	case errors.As(err, &apiErr) && apiErr.Code == salesforce.CodeAPIDisabled:
		d.fail("rest api", "API_DISABLED_FOR_ORG: the REST API is not enabled for the integration user", fixAPIEnabled)
		return
	case errors.As(err, &apiErr) && apiErr.Code == salesforce.CodeRequestLimitExceeded:
		d.fail("rest api", "REQUEST_LIMIT_EXCEEDED: the org's daily API budget is spent", "wait for the rolling 24-hour window to free calls, or buy more API capacity; lower the sync frequency ("+config.EnvSchedule+")")
		return
	case err != nil:
		d.fail("rest api", err.Error(), "check network access to "+client.InstanceURL())
		return
	}
	d.pass("rest api", "enabled (GET /limits answered)")

	daily, ok := limits["DailyApiRequests"]
	if !ok || daily.Max <= 0 {
		d.warn("api budget", "the org reports no DailyApiRequests limit", "")
		return
	}
	used := daily.Max - daily.Remaining
	share := float64(used) / float64(daily.Max)
	detail := fmt.Sprintf("%d of %d daily API calls used (%.0f%%)", used, daily.Max, share*100)
	switch {
	case daily.Remaining <= 0:
		d.fail("api budget", detail, "syncing is stopped until the rolling 24-hour window frees calls")
	case share >= cfg.APIPauseThreshold:
		d.warn("api budget", detail+fmt.Sprintf("; above %s=%.2f, so syncing pauses", config.EnvAPIPauseThreshold, cfg.APIPauseThreshold),
			"find what else spends the org's API calls, or raise "+config.EnvAPIPauseThreshold)
	default:
		d.pass("api budget", detail)
	}
}
