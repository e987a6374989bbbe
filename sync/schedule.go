package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Scheduler runs a sync pass over every workspace on a cron schedule, and
// on demand (Trigger) for the admin API. A workspace never runs two passes at
// once in one process (a per-workspace slot) nor across processes (the
// workspace lease).
type Scheduler struct {
	engine *Engine
	spec   string
	// OnRun, when set before Start, is called after each scheduled pass over
	// a workspace (not after Trigger, whose caller gets the result), for
	// metrics and progress output. ErrLeaseHeld passes are reported too.
	OnRun func(RunSummary, error)
	// timeout bounds each workspace's pass.
	timeout time.Duration
	log     *slog.Logger
	cron    *cron.Cron

	root   context.Context
	cancel context.CancelFunc

	mu    gosync.Mutex
	slots map[string]chan struct{}
	last  map[string]RunSummary
}

// NewScheduler returns a Scheduler running e's passes on spec (a robfig/cron
// spec such as "@every 1m" or "*/5 * * * *"), each workspace's pass bounded
// by timeout. It returns an error wrapping ErrInvalid for a bad spec.
func NewScheduler(e *Engine, spec string, timeout time.Duration, log *slog.Logger) (*Scheduler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	cl := cronLogger{log}
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)))
	root, cancel := context.WithCancel(context.Background())
	s := &Scheduler{engine: e, spec: spec, timeout: timeout, log: log, cron: c, root: root, cancel: cancel,
		slots: map[string]chan struct{}{}, last: map[string]RunSummary{}}
	if _, err := c.AddFunc(spec, s.pass); err != nil {
		cancel()
		return nil, fmt.Errorf("%w: schedule %q: %v", ErrInvalid, spec, err)
	}
	return s, nil
}

// Start starts scheduling passes.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling and waits for a running pass to finish until ctx
// ends; then it cancels the pass (which stops before its next commit) and
// waits for it to return. It returns ctx's error when the pass had to be
// cancelled.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop().Done()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		<-done
		return ctx.Err()
	}
}

// pass runs one pass over every workspace, one after the other.
func (s *Scheduler) pass() {
	wss, err := s.engine.Store.Workspaces(s.root)
	if err != nil {
		s.log.Error("list workspaces", "err", err)
		return
	}
	for _, ws := range wss {
		if s.root.Err() != nil {
			return
		}
		slot := s.slot(ws.ID)
		select {
		case slot <- struct{}{}:
		default:
			// A triggered pass is running on this workspace.
			s.log.Debug("workspace busy; skipping", "workspace", ws.ID)
			continue
		}
		sum, err := s.runOne(s.root, ws.ID, Options{})
		<-slot
		if s.OnRun != nil {
			s.OnRun(sum, err)
		}
	}
}

// Trigger runs a pass over one workspace now and returns its summary. It
// waits (until ctx ends) for a pass already running on the workspace in this
// process, and returns ErrLeaseHeld when another process holds the
// workspace's lease.
func (s *Scheduler) Trigger(ctx context.Context, ws string, opts Options) (RunSummary, error) {
	slot := s.slot(ws)
	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		return RunSummary{}, ctx.Err()
	}
	defer func() { <-slot }()
	// The pass ends with the scheduler too.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	unlink := context.AfterFunc(s.root, stop)
	defer unlink()
	return s.runOne(ctx, ws, opts)
}

func (s *Scheduler) runOne(parent context.Context, ws string, opts Options) (RunSummary, error) {
	ctx, cancel := context.WithTimeout(parent, s.timeout)
	defer cancel()
	sum, err := s.engine.RunWorkspace(ctx, ws, opts)
	switch {
	case errors.Is(err, ErrLeaseHeld):
		s.log.Debug("workspace leased by another process", "workspace", ws)
		return sum, err
	case err != nil:
		s.log.Error("sync pass failed", "workspace", ws, "err", err)
	default:
		s.log.Info("sync pass", "workspace", ws, "pulled", sum.Pulled, "created", sum.Created,
			"linked", sum.Linked, "updated", sum.Updated, "pushed", sum.Pushed, "failed", sum.Failed,
			"api_calls", sum.APICalls, "duration_ms", sum.DurationMS)
	}
	if !opts.DryRun {
		s.mu.Lock()
		s.last[ws] = sum
		s.mu.Unlock()
	}
	return sum, err
}

func (s *Scheduler) slot(ws string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.slots[ws]
	if !ok {
		c = make(chan struct{}, 1)
		s.slots[ws] = c
	}
	return c
}

// LastRun returns the summary of the workspace's last pass in this process.
// Older runs, and runs of other processes, are in Store.Runs.
func (s *Scheduler) LastRun(ws string) (RunSummary, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.last[ws]
	return r, ok
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
