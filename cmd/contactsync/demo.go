package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"syscall"
	"time"

	"github.com/contactsync/contactsync/config"
	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
	contactsync "github.com/contactsync/contactsync/sync"
)

const demoUsage = `demo [--duration D] [--addr A] [--contacts N] [--schedule S] [--dir DIR]

Runs everything in one process with nothing to install or configure: an
embedded SQLite database in a temporary directory, a simulated Salesforce org
with N messy contacts and ongoing activity (new contacts, edits, an occasional
bulk import), auto-create switched on, a backfill so the contact book starts
full, syncs on a short schedule, the admin page and API on 127.0.0.1 with a
printed token, and a local edit now and then so push-back is visible. Audit
lines ("msg":"audit") and one run summary per pass go to stdout.
CONTACTSYNC_* variables are ignored.`

func runDemo(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("demo", demoUsage)
	duration := fs.Duration("duration", 0, "stop by itself after this long (0: run until interrupted)")
	addr := fs.String("addr", "127.0.0.1:8080", "`address` of the admin page and API (a free port is used when the default is taken)")
	contacts := fs.Int("contacts", 300, "`number` of contacts in the simulated org at start")
	schedule := fs.String("schedule", "@every 3s", "sync `schedule`")
	dir := fs.String("dir", "", "keep the database in `DIR` (default: a temporary directory removed at exit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo takes no arguments")
	}
	if *contacts < 0 || *duration < 0 {
		return usagef("demo: --contacts and --duration must not be negative")
	}
	addrSet := false
	fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })

	if *dir == "" {
		d, err := os.MkdirTemp("", "contactsync-demo-")
		if err != nil {
			return fmt.Errorf("temporary directory: %w", err)
		}
		m.onClose(func() error { return os.RemoveAll(d) })
		*dir = d
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	out := &auditCounter{w: &lockedWriter{w: m.Stdout}}
	m.Logger = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sim := salesforcetest.NewServer(salesforcetest.Options{Contacts: *contacts, Seed: time.Now().UnixNano()})
	m.onClose(func() error { sim.Close(); return nil })

	key := make([]byte, 32)
	_, _ = rand.Read(key)
	token := randomHex(16)
	so := sim.Options()
	m.Config = config.Config{
		DatabaseURL: filepath.Join(*dir, "demo.db"),
		Workspace:   contactsync.DefaultWorkspace,
		Salesforce: config.Salesforce{
			LoginURL: sim.LoginURL, ClientID: so.ClientID, ClientSecret: config.Secret(so.ClientSecret),
			RefreshToken: config.Secret(so.RefreshToken), Auth: contactsync.AuthRefreshToken,
		},
		Schedule: *schedule, HTTPAddr: *addr, AdminToken: config.Secret(token),
		CacheTTL: 10 * time.Second, SecretKey: key, APIPauseThreshold: 0.9, BulkThreshold: 10000,
		LogFormat: config.LogText, AuditLog: config.AuditStdout,
		Settings: contactsync.DefaultSettings(), FieldMap: contactsync.DefaultFieldMap(),
	}
	a, err := m.wire(ctx, wireOptions{migrate: true, auditOut: out})
	if err != nil {
		return err
	}
	ws := m.Config.Workspace

	fmt.Fprintf(out, "contactsync demo: simulated org with %d contacts at %s; database %s\n", *contacts, sim.InstanceURL, m.Config.DatabaseURL)
	linked, err := seedLocalContacts(ctx, a, sim, ws)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo: added %d local contacts that share an email or phone (formatted differently) with a Salesforce contact, so they get linked\n", linked)
	if _, _, err := a.store.UpdateSettings(ctx, ws, func(s *contactsync.Settings) error { s.AutoCreate = true; return nil }); err != nil {
		return fmt.Errorf("switch auto-create on: %w", err)
	}
	fmt.Fprintln(out, "demo: auto-create is on (add_tag on, include_bulk_import off). It only takes Salesforce contacts created from now on,")
	fmt.Fprintln(out, "demo: so the first pass is a backfill (as POST /admin/v1/backfill does): it links the matches and auto-creates the rest of the org.")
	sum, err := a.engine.RunWorkspace(ctx, ws, contactsync.Options{Backfill: true})
	a.metrics.ObserveRun(sum, err)
	printSummary(out, sum)
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}

	act := &demoActivity{sim: sim, app: a, ws: ws, out: out, pending: map[int64]demoEdit{}}
	so2 := serviceOptions{addr: *addr, token: token, schedule: *schedule, onRun: func(s contactsync.RunSummary, err error) {
		a.metrics.ObserveRun(s, err)
		if errors.Is(err, contactsync.ErrLeaseHeld) {
			return
		}
		printSummary(out, s)
		act.confirmPushes()
	}}
	svc, err := m.startService(a, so2)
	if err != nil && !addrSet && errors.Is(err, syscall.EADDRINUSE) {
		so2.addr = "127.0.0.1:0"
		svc, err = m.startService(a, so2)
	}
	if err != nil {
		return err
	}
	base := "http://" + svc.addr().String()
	fmt.Fprintf(out, `
demo: admin page  %s/admin/   (sign in with the token)
demo: admin token %s
demo: try         curl -H 'Authorization: Bearer %s' '%s/api/v1/contacts?tag=Auto-created:+Salesforce'
demo:             curl -H 'Authorization: Bearer %s' %s/admin/v1/status
demo: syncing %s; new Salesforce contacts, edits and bulk imports arrive every few seconds.
`, base, token, token, base, token, base, *schedule)
	if *duration > 0 {
		fmt.Fprintf(out, "demo: stopping by itself after %s (Ctrl-C stops it earlier)\n\n", *duration)
	} else {
		fmt.Fprint(out, "demo: Ctrl-C stops it\n\n")
	}

	act.start()
	err = svc.wait(ctx)
	act.Close()
	if err != nil {
		return err
	}
	return printDemoTotals(context.Background(), a, ws, out, *dir)
}

func printSummary(w io.Writer, s contactsync.RunSummary) {
	b, _ := json.Marshal(s)
	fmt.Fprintf(w, "%s\n", b)
}

// seedLocalContacts creates local contacts for about one Salesforce contact
// in ten, copying its email or phone in another format, and returns how many.
func seedLocalContacts(ctx context.Context, a *app, sim *salesforcetest.Server, ws string) (int, error) {
	n := 0
	for i, r := range sim.Records("Contact") {
		if i%10 != 0 {
			continue
		}
		email, _ := r["Email"].(string)
		phone, _ := r["Phone"].(string)
		c := contactsync.Contact{FirstName: str(r["FirstName"]), LastName: str(r["LastName"]), Source: "demo"}
		switch {
		case email != "" && i%20 == 0:
			c.Email = "  " + strings.ToUpper(email) + " "
		case phone != "":
			c.Phone = digitsOnly(phone)
		case email != "":
			c.Email = strings.ToUpper(email)
		default:
			continue
		}
		if _, err := a.store.CreateContact(ctx, ws, c); err != nil {
			if errors.Is(err, contactsync.ErrConflict) || errors.Is(err, contactsync.ErrInvalid) {
				continue
			}
			return n, fmt.Errorf("create local contact: %w", err)
		}
		n++
	}
	return n, nil
}

func str(v any) string { s, _ := v.(string); return s }

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' || r == '+' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// demoActivity plays the people using the org and the contact book. It owns
// its goroutine: Close cancels and waits.
type demoActivity struct {
	sim *salesforcetest.Server
	app *app
	ws  string
	out io.Writer

	cancel context.CancelFunc
	wg     gosync.WaitGroup

	mu      gosync.Mutex
	pending map[int64]demoEdit // local edits waiting to show up in Salesforce
}

type demoEdit struct {
	sfID, title string
}

func (d *demoActivity) start() {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for tick := 1; ; tick++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			d.step(ctx, tick)
		}
	}()
}

func (d *demoActivity) Close() {
	if d.cancel != nil {
		d.cancel()
		d.wg.Wait()
	}
}

var demoFirst = []string{"Ana", "Bo", "Chidi", "Dana", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jamal", "Kai", "Lena"}
var demoLast = []string{"Okafor", "Lindqvist", "Tanaka", "García", "O'Brien", "Nguyen", "Müller", "Rossi", "Kowalski", "Haddad"}

// step does one second's worth of activity.
func (d *demoActivity) step(ctx context.Context, tick int) {
	r := mrand.IntN(10000)
	first, last := demoFirst[r%len(demoFirst)], demoLast[r%len(demoLast)]
	if tick%2 == 1 {
		// Messy input, as people type it.
		phones := []string{"(415) 555-%04d", "+1 415 555 %04d", "415.555.%04d", "+44 20 7946 %04d"}
		fields := map[string]any{
			"FirstName": first, "LastName": last,
			"Email": fmt.Sprintf(" %s.%s.%d@Example.COM", first, strings.ReplaceAll(last, "'", ""), r),
			"Phone": fmt.Sprintf(phones[r%len(phones)], r), "LeadSource": "Web",
		}
		if id, err := d.sim.CreateRecord("Contact", fields); err == nil {
			fmt.Fprintf(d.out, "salesforce: new contact %s %s (%s)\n", first, last, id)
		}
	}
	if tick%4 == 0 {
		recs := d.sim.Records("Contact")
		if len(recs) > 0 {
			rec := recs[r%len(recs)]
			id, _ := rec["Id"].(string)
			if err := d.sim.UpdateRecord("Contact", id, map[string]any{"Title": "Account Manager " + fmt.Sprint(r%100)}); err == nil {
				fmt.Fprintf(d.out, "salesforce: edited contact %s (Title)\n", id)
			}
		}
	}
	if tick%15 == 7 {
		ids := d.sim.BulkImport(12, nil)
		fmt.Fprintf(d.out, "salesforce: bulk import of %d contacts (Data Loader); they are skipped while include_bulk_import is off\n", len(ids))
	}
	if tick%3 == 2 {
		d.editLocal(ctx, r)
	}
}

// editLocal changes the title of a linked local contact; the next pass
// pushes it to Salesforce.
func (d *demoActivity) editLocal(ctx context.Context, r int) {
	cs, err := d.app.store.ListContacts(ctx, d.ws, contactsync.ContactFilter{Tag: contactsync.TagAutoCreatedSalesforce, Limit: 100})
	if err != nil || len(cs) == 0 {
		return
	}
	c := cs[r%len(cs)]
	links, err := d.app.store.LinksByContact(ctx, d.ws, []int64{c.ID})
	if err != nil {
		return
	}
	l, ok := links[c.ID]
	if !ok {
		return
	}
	title := fmt.Sprintf("Edited here at %s", time.Now().Format("15:04:05"))
	if _, err := d.app.store.UpdateContact(ctx, d.ws, c.ID, func(c *contactsync.Contact) error { c.Title = title; return nil }); err != nil {
		return
	}
	d.mu.Lock()
	d.pending[c.ID] = demoEdit{sfID: l.SalesforceID, title: title}
	d.mu.Unlock()
	fmt.Fprintf(d.out, "local: contact #%d title → %q (queued for Salesforce %s)\n", c.ID, title, l.SalesforceID)
}

// confirmPushes prints the local edits that have reached Salesforce.
func (d *demoActivity) confirmPushes() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, e := range d.pending {
		rec, ok := d.sim.Record("Contact", e.sfID)
		if ok && rec["Title"] == e.title {
			fmt.Fprintf(d.out, "pushed: contact #%d → Salesforce %s Title = %q\n", id, e.sfID, e.title)
			delete(d.pending, id)
		}
	}
}

// printDemoTotals prints what the demo left behind.
func printDemoTotals(ctx context.Context, a *app, ws string, out *auditCounter, dir string) error {
	var all, tagged int
	var after int64
	for {
		cs, err := a.store.ListContacts(ctx, ws, contactsync.ContactFilter{AfterID: after, Limit: 1000})
		if err != nil {
			return fmt.Errorf("count contacts: %w", err)
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			all++
			for _, t := range c.Tags {
				if t == contactsync.TagAutoCreatedSalesforce {
					tagged++
				}
			}
		}
		after = cs[len(cs)-1].ID
	}
	fmt.Fprintf(out, "\ndemo: stopped. %d local contacts, %d auto-created and tagged %q; %d audit lines written.\n",
		all, tagged, contactsync.TagAutoCreatedSalesforce, out.lines())
	if _, err := os.Stat(dir); err == nil && !strings.Contains(filepath.Base(dir), "contactsync-demo-") {
		fmt.Fprintf(out, "demo: the database stays in %s\n", filepath.Join(dir, "demo.db"))
	}

	return nil
}

// auditCounter counts the audit lines written through it.
type auditCounter struct {
	w  io.Writer
	mu gosync.Mutex
	n  int
}

func (c *auditCounter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), `"msg":"audit"`) {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
	return c.w.Write(p)
}

func (c *auditCounter) lines() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
