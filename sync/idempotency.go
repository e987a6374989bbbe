package sync

import (
	"context"
	"errors"
	"time"
)

// Errors of an IdempotencyStore's BeginIdempotency.
var (
	// ErrIdempotencyMismatch is returned when an idempotency key is reused
	// with a different request.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")

	// ErrIdempotencyInProgress is returned when the same request under the
	// same key is still being processed (a concurrent retry).
	ErrIdempotencyInProgress = errors.New("a request with this idempotency key is in progress")
)

// IdempotentResponse is the answer recorded for an idempotency key.
type IdempotentResponse struct {
	StatusCode int
	Body       []byte
}

// IdempotencyStore records the answers of requests made with an
// Idempotency-Key, shared by every process on the database, so that a retry
// reaching any replica, or the same one after a restart, gets the first
// answer instead of repeating the side effect. Keys are scoped to a
// workspace.
//
// The guarantee is at-least-once in one window: when the process that claimed
// a key dies after its side effect and before FinishIdempotency, the claim is
// taken over after staleAfter and the side effect may happen twice.
type IdempotencyStore interface {
	// BeginIdempotency claims key for the request whose fingerprint is
	// requestHash, for ttl. It returns (nil, nil) when the caller now owns
	// the key and must call FinishIdempotency or AbandonIdempotency; the
	// recorded answer when the same request already finished; an error
	// wrapping ErrIdempotencyInProgress when the same request is still
	// claimed (and its claim is younger than staleAfter);
	// ErrIdempotencyMismatch when the key was used for another request;
	// ErrNotFound when the workspace does not exist. Expired keys count as
	// unused.
	BeginIdempotency(ctx context.Context, ws, key, requestHash string, ttl, staleAfter time.Duration) (*IdempotentResponse, error)
	// FinishIdempotency records the answer of the claimed key. It returns
	// ErrNotFound when the key is no longer claimed (it expired, or was
	// taken over and finished elsewhere).
	FinishIdempotency(ctx context.Context, ws, key string, resp IdempotentResponse) error
	// AbandonIdempotency releases a claimed key after a failure, so that the
	// client can retry with it. A finished key is left alone.
	AbandonIdempotency(ctx context.Context, ws, key string) error
}
