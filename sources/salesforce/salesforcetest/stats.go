package salesforcetest

import "maps"

// Stats counts the requests the org has served since the last reset.
type Stats struct {
	// APICalls counts requests charged against the API budget.
	APICalls int `json:"api_calls"`
	// ByEndpoint splits APICalls by endpoint name (see the Endpoint
	// constants).
	ByEndpoint map[string]int `json:"by_endpoint"`
	// TokenRequests counts requests to the token endpoint, which
	// Salesforce does not charge as API calls.
	TokenRequests int `json:"token_requests"`
	// Faults counts requests answered by an injected fault.
	Faults int `json:"faults"`
	// Rejected counts API requests refused with 401 or 403 before they
	// were charged.
	Rejected int `json:"rejected"`
}

// Endpoint names, used in Stats.ByEndpoint and in Fault.Endpoint.
const (
	EndpointQuery       = "query"             // query and queryAll, including next pages
	EndpointSObject     = "sobject"           // single-record create, read, update, delete
	EndpointComposite   = "composite"         // sObject Collections (/composite/sobjects)
	EndpointCompositeRq = "composite-request" // /composite with subrequests
	EndpointDescribe    = "describe"          // /sobjects and describe
	EndpointUpdated     = "updated"           // /sobjects/{type}/updated and deleted
	EndpointLimits      = "limits"
	EndpointResources   = "resources" // the version resource map
	EndpointToken       = "token"     // /services/oauth2/token (faults only; not an API call)
	EndpointIdentity    = "identity"  // identity URL and userinfo (not an API call)
)

// Stats returns a copy of the request counts.
func (s *Server) Stats() Stats {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	st := s.stats
	st.ByEndpoint = maps.Clone(s.stats.ByEndpoint)
	return st
}

// ResetStats zeroes the request counts. It leaves the API budget alone.
func (s *Server) ResetStats() {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.stats = Stats{ByEndpoint: map[string]int{}}
}
