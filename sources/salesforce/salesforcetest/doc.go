// Package salesforcetest provides an in-memory Salesforce org served over
// HTTP, for tests, demos and benchmarks, in the spirit of net/http/httptest.
//
// A [Server] answers the subset of the Salesforce REST API and OAuth 2.0
// endpoints that sync clients use, in the exact shapes Salesforce uses, so
// that off-the-shelf Salesforce client libraries work against it unchanged:
//
//   - OAuth 2.0: /services/oauth2/token with the authorization_code (with
//     PKCE), refresh_token, client_credentials, JWT bearer and password
//     grants; /services/oauth2/authorize (auto-approving), /revoke,
//     /userinfo and the identity URL /id/{orgId}/{userId}.
//   - REST: /services/data (versions), the version resource map, query and
//     queryAll with paging through query locators, sObject create, read,
//     update and delete, describe, the updated and deleted resources, sObject
//     Collections, composite requests and limits.
//
// # Realism
//
// Ids are 18 characters with a correct case-safety checksum and the usual key
// prefixes. Every write maintains CreatedDate, CreatedById, LastModifiedDate,
// LastModifiedById and SystemModstamp at one-second resolution, so many
// records share a stamp, as in a real org. Deleted records go to a recycle
// bin (IsDeleted, visible through queryAll), merges set MasterRecordId, and
// writes are validated (REQUIRED_FIELD_MISSING, INVALID_EMAIL_ADDRESS,
// STRING_TOO_LONG, an optional Email duplicate rule raising
// DUPLICATES_DETECTED). Every REST response carries Sforce-Limit-Info against
// a rolling daily API budget; REQUEST_LIMIT_EXCEEDED is returned when it is
// spent. Access tokens expire after the session timeout with no expires_in in
// the token response, as in Salesforce.
//
// # Scale
//
// Records are stored compactly (typed system fields plus one packed string
// per record) in a slice indexed by the id's sequence number, so a million
// seeded contacts take a few hundred megabytes and an id lookup is O(1).
// A query snapshots the sorted positions of its matches once; each page is
// then served from the snapshot through a query locator, so paging through a
// large result is linear.
//
// # Test controls
//
// Go tests drive the org directly through methods such as [Server.Inject],
// [Server.ExpireSessions], [Server.CreateRecord] and [Server.BulkImport];
// none of them counts as an API call. The same controls are served as JSON
// under /__sim/ for cmd/sfsim.
package salesforcetest
