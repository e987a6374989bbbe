package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	gosync "sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Idempotency keys are kept in memory: a bounded LRU whose entries expire.
// A restart forgets them, as does a second replica; a store table would make
// them durable (see doc.go).
const (
	idempotencySize = 10_000
	idempotencyTTL  = 24 * time.Hour
)

type idempotency struct {
	mu  gosync.Mutex
	lru *expirable.LRU[string, *idemEntry]
}

// idemEntry is one key's request: in flight until done is closed, then
// holding the created id.
type idemEntry struct {
	fingerprint string
	done        chan struct{}
	id          string
}

func newIdempotency(size int, ttl time.Duration) *idempotency {
	return &idempotency{lru: expirable.NewLRU[string, *idemEntry](size, nil, ttl)}
}

func fingerprint(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

// begin claims scope. The owner (owner true) must call finish. Otherwise it
// waits for the owner and returns its entry, or a nil entry when the owner
// failed (the caller may then try again).
func (i *idempotency) begin(ctx context.Context, scope, fp string) (*idemEntry, bool, error) {
	i.mu.Lock()
	e, ok := i.lru.Get(scope)
	if !ok {
		e = &idemEntry{fingerprint: fp, done: make(chan struct{})}
		i.lru.Add(scope, e)
		i.mu.Unlock()
		return e, true, nil
	}
	i.mu.Unlock()
	if e.fingerprint != fp {
		return nil, false, errorf(http.StatusUnprocessableEntity, "idempotency_mismatch", "this Idempotency-Key was used with a different request body")
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	if e.id == "" {
		return nil, false, nil
	}
	return e, false, nil
}

// finish records the owner's outcome. Failures are forgotten so the client
// can retry with the same key.
func (i *idempotency) finish(scope string, e *idemEntry, id string, err error) {
	i.mu.Lock()
	if err != nil {
		if cur, ok := i.lru.Peek(scope); ok && cur == e {
			i.lru.Remove(scope)
		}
	} else {
		e.id = id
	}
	i.mu.Unlock()
	close(e.done)
}
