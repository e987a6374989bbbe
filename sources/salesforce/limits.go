package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	contactsync "github.com/contactsync/contactsync/sync"
)

// budget tracks the org's API usage from Sforce-Limit-Info headers.
type budget struct {
	used, max atomic.Int64
	threshold float64
}

// parseLimitInfo reads "api-usage=N/M" from a Sforce-Limit-Info header,
// which may list other limits (per-app-api-usage=…) too.
func parseLimitInfo(h string) (used, max int, ok bool) {
	for part := range strings.FieldsFuncSeq(h, func(r rune) bool { return r == ';' || r == ',' }) {
		v, found := strings.CutPrefix(strings.TrimSpace(part), "api-usage=")
		if !found {
			continue
		}
		us, ms, found := strings.Cut(v, "/")
		if !found {
			return 0, 0, false
		}
		u, err1 := strconv.Atoi(strings.TrimSpace(us))
		m, err2 := strconv.Atoi(strings.TrimSpace(ms))
		if err1 != nil || err2 != nil || u < 0 || m < 0 {
			return 0, 0, false
		}
		return u, m, true
	}
	return 0, 0, false
}

func (b *budget) observe(h string) {
	if u, m, ok := parseLimitInfo(h); ok {
		b.set(u, m)
	}
}

func (b *budget) set(used, max int) {
	b.used.Store(int64(used))
	b.max.Store(int64(max))
}

func (b *budget) paused() bool {
	m := b.max.Load()
	return m > 0 && b.threshold < 1 && float64(b.used.Load()) >= b.threshold*float64(m)
}

// check fails while usage is above the pause threshold.
func (b *budget) check() error {
	if b.paused() {
		return &pausedError{used: int(b.used.Load()), max: int(b.max.Load())}
	}
	return nil
}

// Usage reports the API usage seen on the last response.
func (c *Client) Usage() contactsync.APIUsage {
	return contactsync.APIUsage{
		Used:   int(c.budget.used.Load()),
		Max:    int(c.budget.max.Load()),
		Paused: c.budget.paused(),
	}
}

// Limit is one entry of the limits resource.
type Limit struct {
	Max       int `json:"Max"`
	Remaining int `json:"Remaining"`
}

// Limits reads the org's limits (GET /limits), such as "DailyApiRequests",
// and refreshes Usage from DailyApiRequests. It is always sent, even while
// paused: it is how the client learns that usage went down.
func (c *Client) Limits(ctx context.Context) (map[string]Limit, error) {
	var out map[string]Limit
	if err := c.doJSON(Essential(ctx), http.MethodGet, "/limits", nil, nil, &out); err != nil {
		return nil, err
	}
	if d, ok := out["DailyApiRequests"]; ok && d.Max > 0 {
		c.budget.set(d.Max-d.Remaining, d.Max)
	}
	return out, nil
}

// RefreshUsage implements sync.UsageRefresher with one Limits call, which
// is sent even while paused.
func (s *Source) RefreshUsage(ctx context.Context) (contactsync.APIUsage, error) {
	if _, err := s.c.Limits(ctx); err != nil {
		return s.c.Usage(), fmt.Errorf("refresh usage: %w", err)
	}
	return s.c.Usage(), nil
}

var _ contactsync.UsageRefresher = (*Source)(nil)
