package salesforce

// Exported for the external tests.
var (
	ParseLimitInfo  = parseLimitInfo
	ParseRetryAfter = parseRetryAfter
	ChangesSOQL     = changesSOQL
)
