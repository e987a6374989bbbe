package salesforcetest

import (
	"fmt"
	"net/http"
	"time"
)

// usage counts API calls in hourly buckets over a rolling 24 hours, the way
// Salesforce's daily budget recovers gradually rather than at midnight.
type usage struct {
	hour  [24]int64 // the hour (Unix time / 3600) each bucket counts
	calls [24]int
}

func (u *usage) add(now time.Time, n int) {
	h := now.Unix() / 3600
	i := h % 24
	if u.hour[i] != h {
		u.hour[i], u.calls[i] = h, 0
	}
	u.calls[i] += n
}

func (u *usage) total(now time.Time) int {
	h := now.Unix() / 3600
	n := 0
	for i := range u.hour {
		if u.hour[i] > h-24 && u.hour[i] <= h {
			n += u.calls[i]
		}
	}
	return n
}

// SetAPIUsage sets the calls counted against the daily budget to used, as if
// they had all been made in the current hour.
func (s *Server) SetAPIUsage(used int) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.usage = usage{}
	s.usage.add(s.now(), used)
}

// APIUsage returns the calls counted against the budget and the budget.
func (s *Server) APIUsage() (used, max int) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	return s.usage.total(s.now()), s.opts.APILimit
}

func (s *Server) setLimitHeader(w http.ResponseWriter) {
	used, limit := s.APIUsage()
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", used, limit))
}

// limit is one entry of the limits resource.
type limit struct {
	Max       int `json:"Max"`
	Remaining int `json:"Remaining"`
}

// handleLimits serves GET /limits.
func (s *Server) handleLimits(w http.ResponseWriter, r *http.Request, c *call) {
	used, max := s.APIUsage()
	writeJSON(w, http.StatusOK, map[string]limit{
		"ConcurrentAsyncGetReportInstances": {200, 200},
		"ConcurrentSyncReportRuns":          {20, 20},
		"DailyApiRequests":                  {max, max - used},
		"DailyAsyncApexExecutions":          {250000, 250000},
		"DailyBulkApiBatches":               {15000, 15000},
		"DailyBulkV2QueryFileStorageMB":     {976562, 976562},
		"DailyBulkV2QueryJobs":              {10000, 10000},
		"DailyGenericStreamingApiEvents":    {10000, 10000},
		"DailyStreamingApiEvents":           {1000000, 1000000},
		"DataStorageMB":                     {1024, 1024 - s.storageMB()},
		"FileStorageMB":                     {20480, 20480},
		"HourlyODataCallout":                {20000, 20000},
		"SingleEmail":                       {5000, 5000},
	})
}

// storageMB estimates data storage the way Salesforce does: 2 KB a record.
func (s *Server) storageMB() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, o := range s.objs {
		n += len(o.recs)
	}
	return n * 2 / 1024
}
