package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Metrics are contactsync's Prometheus metrics. Three feeds fill them:
//
//   - ObserveRun, called with every finished pass (the server calls it for
//     the passes it triggers; cmd calls it for scheduled passes), counts runs
//     by result and their durations;
//   - AuditHandler wraps the audit log's handler and counts every audited
//     decision by kind, so decisions are counted exactly once, where they are
//     recorded;
//   - at scrape time, the server reads each workspace's outbox depth, last
//     run (sync lag) and API usage from the store and the SalesforceReader.
//
// HTTP requests are counted by route pattern and status.
type Metrics struct {
	reg *prometheus.Registry

	runs         *prometheus.CounterVec
	runDuration  *prometheus.HistogramVec
	decisions    *prometheus.CounterVec
	requests     *prometheus.CounterVec
	reqDuration  *prometheus.HistogramVec
	cacheLookups *prometheus.CounterVec

	outboxPending *prometheus.Desc
	outboxFailed  *prometheus.Desc
	apiUsed       *prometheus.Desc
	apiMax        *prometheus.Desc
	syncLag       *prometheus.Desc
	lastRun       *prometheus.Desc

	server atomic.Pointer[Server]
}

// NewMetrics registers contactsync's metrics on reg. With a nil reg it
// creates a registry holding the Go and process collectors too.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	ws := []string{"workspace"}
	m := &Metrics{
		reg: reg,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactsync_runs_total", Help: "Sync passes by workspace and result (ok, error, lease_held).",
		}, []string{"workspace", "result"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "contactsync_run_duration_seconds", Help: "Duration of sync passes.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, ws),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactsync_decisions_total", Help: "Audited decisions by workspace and kind (linked, created, updated, ambiguous, skipped, ...).",
		}, []string{"workspace", "decision"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactsync_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		reqDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "contactsync_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		cacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactsync_salesforce_cache_lookups_total", Help: "Live Salesforce field lookups by cache result (hit, miss).",
		}, []string{"result"}),
		outboxPending: prometheus.NewDesc("contactsync_outbox_pending", "Local changes waiting to be pushed.", ws, nil),
		outboxFailed:  prometheus.NewDesc("contactsync_outbox_failed", "Local changes that failed permanently.", ws, nil),
		apiUsed:       prometheus.NewDesc("contactsync_salesforce_api_used", "Salesforce API calls used in the org's rolling 24-hour window, as last seen.", ws, nil),
		apiMax:        prometheus.NewDesc("contactsync_salesforce_api_max", "The org's daily Salesforce API limit, as last seen.", ws, nil),
		syncLag:       prometheus.NewDesc("contactsync_sync_lag_seconds", "Seconds since the end of the last pass that finished without error.", ws, nil),
		lastRun:       prometheus.NewDesc("contactsync_last_run_timestamp_seconds", "Unix time the last pass started.", ws, nil),
	}
	reg.MustRegister(m.runs, m.runDuration, m.decisions, m.requests, m.reqDuration, m.cacheLookups, m)
	return m
}

// Registry returns the registry the metrics are registered on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRun counts one finished pass. err is the pass's error, if any.
func (m *Metrics) ObserveRun(sum contactsync.RunSummary, err error) {
	result := "ok"
	switch {
	case errors.Is(err, contactsync.ErrLeaseHeld):
		m.runs.WithLabelValues(sum.Workspace, "lease_held").Inc()
		return
	case err != nil || sum.Error != "":
		result = "error"
	}
	if sum.Workspace == "" {
		return
	}
	m.runs.WithLabelValues(sum.Workspace, result).Inc()
	m.runDuration.WithLabelValues(sum.Workspace).Observe(float64(sum.DurationMS) / 1000)
}

// Decision counts one decision. AuditHandler calls it for every audit line;
// call it directly only for decisions that are not audited.
func (m *Metrics) Decision(ws string, d contactsync.Decision) {
	m.decisions.WithLabelValues(ws, string(d)).Inc()
}

// AuditHandler returns a handler that counts each audit record's decision
// and passes the record on to next. Build the auditor with it:
//
//	audit := contactsync.NewAuditor(metrics.AuditHandler(slog.NewJSONHandler(w, nil)))
func (m *Metrics) AuditHandler(next slog.Handler) slog.Handler {
	return &auditCounter{m: m, next: next}
}

type auditCounter struct {
	m    *Metrics
	next slog.Handler
}

func (h *auditCounter) Enabled(ctx context.Context, l slog.Level) bool {
	return true // count even when the audit log itself is filtered
}

func (h *auditCounter) Handle(ctx context.Context, r slog.Record) error {
	var ws, decision string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "workspace":
			ws = a.Value.String()
		case "decision":
			decision = a.Value.String()
		}
		return true
	})
	if decision != "" {
		h.m.Decision(ws, contactsync.Decision(decision))
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *auditCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &auditCounter{m: h.m, next: h.next.WithAttrs(attrs)}
}

func (h *auditCounter) WithGroup(name string) slog.Handler {
	return &auditCounter{m: h.m, next: h.next.WithGroup(name)}
}

func (m *Metrics) observeRequest(route string, code int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.reqDuration.WithLabelValues(route).Observe(d.Seconds())
}

func (m *Metrics) cacheLookup(hit bool) {
	if hit {
		m.cacheLookups.WithLabelValues("hit").Inc()
	} else {
		m.cacheLookups.WithLabelValues("miss").Inc()
	}
}

func (m *Metrics) collectFrom(s *Server) { m.server.Store(s) }

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Describe implements prometheus.Collector for the scrape-time gauges.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.outboxPending, m.outboxFailed, m.apiUsed, m.apiMax, m.syncLag, m.lastRun} {
		ch <- d
	}
}

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 5 * time.Second

// Collect implements prometheus.Collector: it reads each workspace's outbox
// depth, last runs and API usage.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	s := m.server.Load()
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, scrapeTimeout)
	defer cancel()
	wss, err := s.cfg.Store.Workspaces(ctx)
	if err != nil {
		s.log.Warn("metrics: list workspaces", "err", err)
		return
	}
	now := s.cfg.Now()
	for _, w := range wss {
		if pending, failed, err := s.cfg.Store.OutboxStats(ctx, w.ID); err == nil {
			ch <- prometheus.MustNewConstMetric(m.outboxPending, prometheus.GaugeValue, float64(pending), w.ID)
			ch <- prometheus.MustNewConstMetric(m.outboxFailed, prometheus.GaugeValue, float64(failed), w.ID)
		}
		if runs, err := s.cfg.Store.Runs(ctx, w.ID, 20); err == nil && len(runs) > 0 {
			ch <- prometheus.MustNewConstMetric(m.lastRun, prometheus.GaugeValue, float64(runs[0].StartedAt.Unix()), w.ID)
			for _, r := range runs {
				if r.Error == "" {
					end := r.StartedAt.Add(time.Duration(r.DurationMS) * time.Millisecond)
					ch <- prometheus.MustNewConstMetric(m.syncLag, prometheus.GaugeValue, max(now.Sub(end).Seconds(), 0), w.ID)
					break
				}
			}
		}
		if u := s.usage(ctx, w.ID); u != nil {
			ch <- prometheus.MustNewConstMetric(m.apiUsed, prometheus.GaugeValue, float64(u.Used), w.ID)
			ch <- prometheus.MustNewConstMetric(m.apiMax, prometheus.GaugeValue, float64(u.Max), w.ID)
		}
	}
}
