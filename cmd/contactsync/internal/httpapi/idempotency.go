package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	contactsync "github.com/contactsync/contactsync/sync"
)

// Idempotency keys live in the database (contactsync.IdempotencyStore), so a
// retry that reaches another replica, or this one after a restart, gets the
// first answer. See doc.go for the guarantee and its window.
const (
	// idempotencyTTL is how long a key's answer is kept.
	idempotencyTTL = 24 * time.Hour
	// idempotencyStale is how long a claim without an answer blocks
	// retries: after it, the claimer is presumed dead (it crashed between
	// the Salesforce call and recording the answer) and a retry may create
	// the record again.
	idempotencyStale = 2 * time.Minute
	// idempotencyWrite bounds recording an answer after the request's own
	// context is gone (the client hung up once Salesforce had answered).
	idempotencyWrite = 10 * time.Second
)

// requestHash fingerprints what an idempotency key stands for: the method,
// the path (which names the contact and the kind of record) and the body.
func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	h.Write([]byte(r.Method))
	h.Write([]byte{0})
	h.Write([]byte(r.URL.Path))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// idempotent runs create under the request's key in ws: a finished request's
// answer is replayed with Idempotent-Replayed: true; otherwise create runs
// and its success is recorded, its failure releases the key for a retry.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, ws, key string, body []byte, create func() (string, error)) error {
	if s.idem == nil {
		return errorf(http.StatusNotImplemented, "not_configured", "no idempotency store is configured")
	}
	prev, err := s.idem.BeginIdempotency(r.Context(), ws, key, requestHash(r, body), idempotencyTTL, idempotencyStale)
	if errors.Is(err, contactsync.ErrIdempotencyInProgress) {
		w.Header().Set("Retry-After", "1")
	}
	if err != nil {
		return err
	}
	if prev != nil {
		w.Header().Set("Idempotent-Replayed", "true")
		writeRaw(w, prev.StatusCode, prev.Body)
		return nil
	}
	sfID, err := create()
	// The answer is recorded even when the client has gone: the record
	// exists in Salesforce now.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), idempotencyWrite)
	defer cancel()
	if err != nil {
		if aerr := s.idem.AbandonIdempotency(ctx, ws, key); aerr != nil {
			s.log.ErrorContext(ctx, "abandon idempotency key", "path", r.URL.Path, "err", aerr)
		}
		return err
	}
	resp, err := marshalJSON(createdJSON{ID: sfID})
	if err != nil {
		return err
	}
	if ferr := s.idem.FinishIdempotency(ctx, ws, key, contactsync.IdempotentResponse{StatusCode: http.StatusCreated, Body: resp}); ferr != nil {
		// The record was created: answer it, so the client has its id.
		s.log.ErrorContext(ctx, "finish idempotency key", "path", r.URL.Path, "err", ferr)
	}
	writeRaw(w, http.StatusCreated, resp)
	return nil
}
