// Package salesforce is contactsync's Salesforce adapter: OAuth 2.0 token
// sources, a REST client with typed errors, retries and an API budget, and
// Source, which implements sync.Source over the REST API.
//
// # Authentication
//
// Salesforce access tokens carry no expiry. The client uses a token until a
// request comes back 401 INVALID_SESSION_ID, then fetches one new token (all
// requests that failed with the same token share that one token request) and
// replays the request once. A refresh rejected with invalid_grant is
// permanent: the client latches an error matching sync.ErrReauthRequired and
// makes no further token requests; a new Client with new credentials is
// needed. Tokens are never logged.
//
// # Errors
//
// Every failed call returns a *APIError (or wraps one) carrying the HTTP
// status, Salesforce's errorCode, message and fields. errors.Is maps codes to
// the sync sentinels: API_DISABLED_FOR_ORG to sync.ErrAPIDisabled (the
// message says how to fix it), REQUEST_LIMIT_EXCEEDED to sync.ErrRateLimited,
// NOT_FOUND and ENTITY_IS_DELETED to sync.ErrNotFound. Per-record errors of
// sObject Collections calls are *APIError too; DUPLICATES_DETECTED also
// unwraps to a *sync.DuplicateError naming the matching records.
//
// # Budget and retries
//
// Every response's Sforce-Limit-Info header updates the usage the client
// reports. Above the pause threshold (by default 90% of the daily maximum),
// calls not marked essential (see Essential) fail with sync.ErrRateLimited
// without being sent. Transient failures (429, 500, 502, 503, 504,
// UNABLE_TO_LOCK_ROW, QUERY_TIMEOUT, SERVER_UNAVAILABLE) are retried with
// exponential backoff and jitter, honouring Retry-After, a bounded number of
// times within a bounded time. REQUEST_LIMIT_EXCEEDED is never retried.
//
// # Queries
//
// Query streams result pages, following nextRecordsUrl, and decodes records
// as they arrive. Source.Changes reads each page (at most batchSize records)
// into a pooled buffer and scans it once, straight into
// sync.SalesforceContact, without an intermediate map per record: it pages
// through a million Contacts of the simulator at over 100,000 records a
// second. Build SOQL literals with StringLiteral and DateTimeLiteral only.
//
// # Tests
//
// The tests run the client against salesforcetest, the in-memory org, never
// against mocks. CONTACTSYNC_SCALE=1000000 enables TestPageMillion, which
// pages through a seeded million-contact org and logs the time taken. The
// compat directory runs jsforce, an off-the-shelf client, against the same
// simulator.
package salesforce
