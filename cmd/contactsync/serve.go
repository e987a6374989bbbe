package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/contactsync/contactsync/cmd/contactsync/internal/httpapi"
	"github.com/contactsync/contactsync/config"
	contactsync "github.com/contactsync/contactsync/sync"
)

const serveUsage = `serve [--config FILE]

Applies pending migrations, then runs sync passes on CONTACTSYNC_SCHEDULE and
serves the admin page (/admin/), the admin and contacts API and /healthz,
/readyz and /metrics on CONTACTSYNC_HTTP_ADDR. SIGINT or SIGTERM stops it
gracefully: no new passes, the running pass gets 30 seconds to finish, then
HTTP stops and the database closes. A second signal exits at once.`

// Shutdown deadlines.
const (
	// passGrace is how long a running pass may take to finish on shutdown
	// before it is cancelled (it stops before its next commit).
	passGrace = 30 * time.Second
	// httpGrace is how long in-flight requests get on shutdown.
	httpGrace = 10 * time.Second
	// passTimeout bounds one scheduled pass over one workspace.
	passTimeout = 30 * time.Minute
)

func runServe(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("serve", serveUsage)
	file := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes no arguments")
	}
	if err := m.loadConfig(*file); err != nil {
		return err
	}
	if err := httpapi.CheckListenAddr(m.Config.HTTPAddr, m.Config.AdminToken.Reveal()); err != nil {
		return err
	}
	o := wireOptions{migrate: true}
	if m.Config.AuditLog == config.AuditStdout {
		o.auditOut = &lockedWriter{w: m.Stdout}
	}
	a, err := m.wire(ctx, o)
	if err != nil {
		return err
	}
	svc, err := m.startService(a, serviceOptions{
		addr:     m.Config.HTTPAddr,
		token:    m.Config.AdminToken.Reveal(),
		schedule: m.Config.Schedule,
		onRun:    a.metrics.ObserveRun,
	})
	if err != nil {
		return err
	}
	m.Logger.Info("serving", "addr", svc.addr().String(), "admin_page", "http://"+svc.addr().String()+"/admin/",
		"schedule", m.Config.Schedule, "workspace", m.Config.Workspace)
	return svc.wait(ctx)
}

// service is the long-running part of serve and demo: the scheduler and
// the HTTP server. It owns their goroutines; shutdown stops them in order.
type service struct {
	m     *Main
	app   *app
	sched *contactsync.Scheduler
	api   *httpapi.Server
	hs    *http.Server
	ln    net.Listener
	// served receives http.Server.Serve's result.
	served chan error
}

type serviceOptions struct {
	addr, token, schedule string
	onRun                 func(contactsync.RunSummary, error)
}

// startService starts the HTTP server on o.addr and the scheduler. When
// m.OnListen is set it is told the bound address (tests listen on port 0).
func (m *Main) startService(a *app, o serviceOptions) (*service, error) {
	sched, err := contactsync.NewScheduler(a.engine, o.schedule, passTimeout, m.Logger)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	sched.OnRun = o.onRun
	api := httpapi.New(httpapi.Config{
		Store:       a.store,
		Syncer:      sched,
		Converter:   a.engine,
		Reader:      httpapi.SourceReader{Store: a.store, Sources: a.sources, Fields: a.engine.Fields},
		Matcher:     a.engine.Matcher,
		Auditor:     a.audit,
		AdminToken:  o.token,
		OpenMetrics: a.cfg.OpenMetrics,
		Workspace:   a.cfg.Workspace,
		CacheTTL:    a.cfg.CacheTTL,
		Logger:      m.Logger,
		Ready:       a.ready,
		Metrics:     a.metrics,
	})
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		_ = api.Close()
		return nil, fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	s := &service{
		m: m, app: a, sched: sched, api: api, ln: ln,
		hs: &http.Server{
			Handler:           api.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
		},
		served: make(chan error, 1),
	}
	go func() { s.served <- s.hs.Serve(ln) }()
	sched.Start()
	if m.OnListen != nil {
		m.OnListen(ln.Addr())
	}
	return s, nil
}

func (s *service) addr() net.Addr { return s.ln.Addr() }

// wait runs until ctx ends (a signal: a clean shutdown, nil) or the HTTP
// server fails, then shuts down.
func (s *service) wait(ctx context.Context) error {
	var serveErr error
	select {
	case <-ctx.Done():
		s.m.Logger.Info("shutting down: waiting for a running pass", "grace", passGrace.String())
	case serveErr = <-s.served:
		serveErr = fmt.Errorf("http server: %w", serveErr)
	}
	if err := s.shutdown(); err != nil && serveErr == nil {
		return err
	}
	return serveErr
}

// shutdown stops scheduling and lets a running pass finish within
// passGrace, then stops HTTP: background syncs started through the API are
// cancelled and awaited, and in-flight requests get httpGrace. The database
// is closed afterwards by Main.Close.
func (s *service) shutdown() error {
	var errs []error
	pctx, cancel := context.WithTimeout(context.Background(), passGrace)
	if err := s.sched.Stop(pctx); err != nil {
		s.m.Logger.Warn("running pass cancelled at the shutdown deadline", "err", err)
	}
	cancel()
	if err := s.api.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close api: %w", err))
	}
	hctx, cancel := context.WithTimeout(context.Background(), httpGrace)
	defer cancel()
	if err := s.hs.Shutdown(hctx); err != nil {
		errs = append(errs, fmt.Errorf("stop http server: %w", err))
		_ = s.hs.Close()
	}
	if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("http server: %w", err))
	}
	s.m.Logger.Info("stopped")
	return errors.Join(errs...)
}

// ready is /readyz: the database answers, migrations are at head, and the
// configured workspace's connection is not in a state that needs a person.
func (a *app) ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	head, err := a.store.AtHead(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if !head {
		return errors.New("migrations pending (run contactsync migrate up)")
	}
	conn, err := a.store.Connection(ctx, a.cfg.Workspace)
	switch {
	case errors.Is(err, contactsync.ErrNotFound):
		return nil // not connected yet: the contacts API still works
	case err != nil:
		return fmt.Errorf("connection: %w", err)
	case conn.State == contactsync.StateNeedsReauth || conn.State == contactsync.StateAPIDisabled:
		return fmt.Errorf("salesforce connection %s: %s", conn.State, conn.StateReason)
	}
	return nil
}
