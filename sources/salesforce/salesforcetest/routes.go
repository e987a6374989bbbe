package salesforcetest

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Supported REST API versions.
const (
	oldestVersion = 20
	newestVersion = 66
	latestVersion = "v66.0"
)

var versionRE = regexp.MustCompile(`^v(\d+)\.0$`)

// call carries what the REST middleware learned about a request.
type call struct {
	version string // like "v62.0"
	user    uint32
}

type restHandler func(w http.ResponseWriter, r *http.Request, c *call)

// innerKey marks subrequests of a composite request, which are charged as
// part of their parent.
type innerKey struct{}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/services/oauth2/token", s.handleToken)
	mux.HandleFunc("/services/oauth2/authorize", s.handleAuthorize)
	mux.HandleFunc("/services/oauth2/revoke", s.handleRevoke)
	mux.HandleFunc("/services/oauth2/userinfo", s.handleUserInfo)
	mux.HandleFunc("/id/{org}/{user}", s.handleIdentity)

	mux.HandleFunc("GET /services/data", s.handleVersions)
	mux.HandleFunc("GET /services/data/{$}", s.handleVersions)

	const v = "/services/data/{version}"
	rest := func(pattern, endpoint string, methods map[string]restHandler) {
		h := s.rest(endpoint, methods)
		mux.Handle(v+pattern, h)
		if pattern != "" && !strings.HasSuffix(pattern, "}") {
			mux.Handle(v+pattern+"/{$}", h)
		}
	}
	rest("", EndpointResources, map[string]restHandler{"GET": s.handleResources})
	mux.Handle(v+"/{$}", s.rest(EndpointResources, map[string]restHandler{"GET": s.handleResources}))
	rest("/limits", EndpointLimits, map[string]restHandler{"GET": s.handleLimits})
	rest("/query", EndpointQuery, map[string]restHandler{"GET": s.handleQuery(false)})
	rest("/queryAll", EndpointQuery, map[string]restHandler{"GET": s.handleQuery(true)})
	rest("/query/{locator}", EndpointQuery, map[string]restHandler{"GET": s.handleQueryMore})
	rest("/queryAll/{locator}", EndpointQuery, map[string]restHandler{"GET": s.handleQueryMore})
	rest("/sobjects", EndpointDescribe, map[string]restHandler{"GET": s.handleDescribeGlobal})
	rest("/sobjects/{sobject}", EndpointSObject, map[string]restHandler{
		"GET": s.handleSObjectInfo, "POST": s.handleCreate})
	rest("/sobjects/{sobject}/describe", EndpointDescribe, map[string]restHandler{"GET": s.handleDescribe})
	rest("/sobjects/{sobject}/updated", EndpointUpdated, map[string]restHandler{"GET": s.handleUpdated})
	rest("/sobjects/{sobject}/deleted", EndpointUpdated, map[string]restHandler{"GET": s.handleDeleted})
	rest("/sobjects/{sobject}/{id}", EndpointSObject, map[string]restHandler{
		"GET": s.handleGet, "PATCH": s.handleUpdate, "DELETE": s.handleDelete})
	rest("/composite/sobjects", EndpointComposite, map[string]restHandler{
		"POST": s.handleCollectionCreate, "PATCH": s.handleCollectionUpdate, "DELETE": s.handleCollectionDelete})
	rest("/composite/sobjects/{sobject}", EndpointComposite, map[string]restHandler{
		"GET": s.handleCollectionRetrieve, "POST": s.handleCollectionRetrieve})
	rest("/composite", EndpointCompositeRq, map[string]restHandler{"POST": s.handleComposite})

	s.controlRoutes(mux)
	s.bulkRoutes(mux, rest)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// rest wraps REST handlers with what every REST request goes through: the
// version check, faults, the session check, the API switch and the budget.
func (s *Server) rest(endpoint string, methods map[string]restHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{version: r.PathValue("version")}
		if m := versionRE.FindStringSubmatch(c.version); m == nil {
			writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
			return
		} else if n, _ := strconv.Atoi(m[1]); n < oldestVersion || n > newestVersion {
			writeErrors(w, http.StatusNotFound, newError("NOT_FOUND", msgNotFound))
			return
		}
		h := methods[r.Method]
		if h == nil && r.Method == http.MethodHead {
			h = methods[http.MethodGet]
		}
		inner := r.Context().Value(innerKey{}) != nil
		if !inner {
			if f := s.fault(endpoint, false); f != nil && s.serveFault(w, r, f, false) {
				return
			}
		}
		user, ok := s.authenticate(r)
		if !ok {
			s.reject(w, http.StatusUnauthorized, "INVALID_SESSION_ID", msgSessionExpired)
			return
		}
		c.user = user
		if !inner {
			if code := s.charge(endpoint); code != "" {
				msg := msgLimitExceeded
				if code == "API_DISABLED_FOR_ORG" {
					msg = msgAPIDisabled
				}
				s.reject(w, http.StatusForbidden, code, msg)
				return
			}
		}
		s.setLimitHeader(w)
		if h == nil {
			allowed := make([]string, 0, len(methods))
			for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
				if methods[m] != nil {
					allowed = append(allowed, m)
				}
			}
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeErrors(w, http.StatusMethodNotAllowed, newError("METHOD_NOT_ALLOWED",
				"HTTP Method '%s' not allowed. Allowed are %s", r.Method, strings.Join(allowed, ",")))
			return
		}
		h(w, r, c)
	})
}

func (s *Server) reject(w http.ResponseWriter, status int, code, msg string) {
	s.ctl.Lock()
	s.stats.Rejected++
	s.ctl.Unlock()
	s.setLimitHeader(w)
	writeErrors(w, status, &Error{ErrorCode: code, Message: msg})
}

// charge counts one API call against the budget, or returns the error code
// refusing it.
func (s *Server) charge(endpoint string) string {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if s.apiDisabled {
		return "API_DISABLED_FOR_ORG"
	}
	now := s.now()
	if s.usage.total(now) >= s.opts.APILimit {
		return "REQUEST_LIMIT_EXCEEDED"
	}
	s.usage.add(now, 1)
	s.stats.APICalls++
	s.stats.ByEndpoint[endpoint]++
	return ""
}

// SetAPIDisabled switches the org's API off (every REST call answers 403
// API_DISABLED_FOR_ORG) or back on.
func (s *Server) SetAPIDisabled(disabled bool) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.apiDisabled = disabled
}

// handleVersions serves GET /services/data, which needs no session and
// carries no Sforce-Limit-Info.
func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request) {
	type version struct {
		Label   string `json:"label"`
		URL     string `json:"url"`
		Version string `json:"version"`
	}
	var out []version
	for n := oldestVersion; n <= newestVersion; n++ {
		v := strconv.Itoa(n) + ".0"
		out = append(out, version{Label: releaseName(n), URL: "/services/data/v" + v, Version: v})
	}
	writeJSON(w, http.StatusOK, out)
}

// releaseName names the release that introduced API version n: three
// releases a year, Spring, Summer and Winter (named for the next year).
func releaseName(n int) string {
	// v20.0 was Winter '11; each version is one release later.
	k := n - 20
	year := 11 + (k+0)/3
	switch k % 3 {
	case 0:
		return "Winter '" + pad2(year)
	case 1:
		return "Spring '" + pad2(year)
	}
	return "Summer '" + pad2(year)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// handleResources serves the version resource map.
func (s *Server) handleResources(w http.ResponseWriter, r *http.Request, c *call) {
	base := "/services/data/" + c.version
	writeJSON(w, http.StatusOK, map[string]string{
		"identity":  s.identityURL(r, c.user),
		"limits":    base + "/limits",
		"query":     base + "/query",
		"queryAll":  base + "/queryAll",
		"sobjects":  base + "/sobjects",
		"composite": base + "/composite",
		"search":    base + "/search",
		"recent":    base + "/recent",
		"tooling":   base + "/tooling",
		"jobs":      base + "/jobs",
	})
}

// inner returns a context marking composite subrequests.
func inner(ctx context.Context) context.Context { return context.WithValue(ctx, innerKey{}, true) }
