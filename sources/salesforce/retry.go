package salesforce

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds the retries of transient failures.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it, up to
	// MaxDelay, with full jitter on the upper half.
	BaseDelay, MaxDelay time.Duration
	// MaxElapsed bounds the time spent on one call, waits included. A
	// Retry-After beyond it ends the retries.
	MaxElapsed time.Duration
}

// DefaultRetry is the policy used for zero RetryPolicy fields.
var DefaultRetry = RetryPolicy{
	MaxAttempts: 4,
	BaseDelay:   250 * time.Millisecond,
	MaxDelay:    10 * time.Second,
	MaxElapsed:  time.Minute,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetry.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetry.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetry.MaxDelay
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = DefaultRetry.MaxElapsed
	}
	return p
}

// next returns how long to wait before the retry following attempt (1 for
// the first try), or false when the policy says stop.
func (p RetryPolicy) next(attempt int, retryAfter, elapsed time.Duration) (time.Duration, bool) {
	if attempt >= p.MaxAttempts {
		return 0, false
	}
	d := p.BaseDelay << (attempt - 1)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = retryAfter
	}
	if elapsed+d > p.MaxElapsed {
		return 0, false
	}
	return d, true
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
