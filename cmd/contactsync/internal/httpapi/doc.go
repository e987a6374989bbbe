// Package httpapi is contactsync's HTTP server: the admin API, the contacts
// API, the admin web page, health, readiness and metrics. cmd/contactsync
// builds a Server with New and serves Handler; nothing else in the module
// speaks HTTP to people.
//
// # Endpoints
//
// Everything but /healthz and /readyz requires Authorization: Bearer
// $CONTACTSYNC_ADMIN_TOKEN (compared in constant time); /metrics too unless
// Config.OpenMetrics. A request names its workspace with ?workspace= or the
// X-Contactsync-Workspace header, else Config.Workspace.
//
//	GET   /admin/v1/settings               settings
//	PATCH /admin/v1/settings               partial update, audit-logged
//	POST  /admin/v1/sync[?wait=true]       202, or the run summary
//	POST  /admin/v1/backfill[?wait=true]   same, with Options.Backfill
//	GET   /admin/v1/status                 connection (with fix), cursor, runs, outbox, API usage
//	GET   /api/v1/contacts                 ?email= ?phone= ?tag= ?after= ?limit=
//	POST  /api/v1/contacts                 create
//	GET   /api/v1/contacts/{id}            one contact
//	PATCH /api/v1/contacts/{id}            partial update; tags replace the set
//	GET   /api/v1/contacts/{id}/salesforce live fields through the TTL cache (X-Cache, Age)
//	POST  /api/v1/contacts/{id}/salesforce/leads  {"id": "00Q…"}, Idempotency-Key
//	POST  /api/v1/contacts/{id}/salesforce/cases  {"id": "500…"}, Idempotency-Key
//	GET   /healthz, /readyz, /metrics
//	GET   /admin/                          the admin page
//
// # Errors
//
// Every error is {"error": {"code", "message"}}. One table (errorKinds in
// errors.go) maps the sync package's sentinel errors to statuses and codes;
// request problems are 400 invalid, invalid_json or unknown_field, 401
// unauthorized, 403 cross_origin or csrf, 404 not_found, 405
// method_not_allowed, 413 too_large, 415 unsupported_media_type. A rejected
// request writes nothing: bodies are parsed and checked completely before the
// store is called, and store writes that fail validation roll back.
//
// # The admin page
//
// GET /admin/ is server-rendered HTML with plain forms and no script. A
// browser cannot send the bearer header on navigation, so the page asks for
// the token once and sets a session cookie: HttpOnly, SameSite=Strict,
// Secure over TLS, holding an expiry and an HMAC keyed by a key derived from
// the token (never the token; changing the token ends all sessions).
//
// Cross-site request forgery is refused three ways: SameSite=Strict keeps
// the cookie off cross-site requests; every state-changing request without
// the bearer header must carry an Origin (or Sec-Fetch-Site) of this host;
// and the page's forms carry a token that is an HMAC of the session. JSON
// endpoints also require Content-Type: application/json, which a
// cross-site form cannot send.
//
// Without an admin token (allowed on loopback only, see CheckListenAddr)
// there is no login, and requests whose Host is not a loopback name are
// refused, against DNS rebinding.
//
// # Caches and idempotency
//
// Live Salesforce fields are cached per workspace and record for
// Config.CacheTTL (an expiring LRU); Cache-Control: no-cache reads through.
// Idempotency keys for Lead and Case creation are kept in the database
// (table idempotency_keys, through contactsync.IdempotencyStore) for 24
// hours, scoped by workspace, so every replica and a restarted process see
// them. A key is claimed (in_progress) before the Salesforce call and holds
// the answer once it succeeds: the same key and request (method, path, body)
// get the first answer (Idempotent-Replayed: true) without a second
// Salesforce call; while the first attempt is still running a retry gets 409
// request_in_progress with Retry-After; the same key with another request
// (body, contact or kind) is refused with 422 idempotency_mismatch; a failed
// attempt releases the key so it can be retried.
//
// The guarantee is at-least-once, not exactly-once: a process that dies
// after Salesforce created the record and before the answer is recorded
// leaves its claim behind, and after 2 minutes a retry takes it over and
// creates a second record. Salesforce offers no idempotency of its own to
// close that window.
//
// # Metrics
//
// See Metrics: runs (ObserveRun), decisions (AuditHandler), outbox depth,
// sync lag and API usage (read at scrape time), HTTP requests.
package httpapi
