package salesforcetest

import (
	"net/http"
	"strings"
)

// userFields reads the fields of user seq that identity responses show.
func (s *Server) userFields(seq uint32) (username, first, last, email string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.object("User")
	if seq == 0 || int(seq) > len(o.recs) {
		return "", "", "", "", false
	}
	r := &o.recs[seq-1]
	get := func(f string) string { return r.slot(o.field(f).slot) }
	return get("Username"), get("FirstName"), get("LastName"), get("Email"), true
}

// handleIdentity serves the identity URL, {login}/id/{orgId}/{userId}.
func (s *Server) handleIdentity(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticate(r)
	if !ok {
		writeRaw(w, http.StatusForbidden, []byte("Bad_OAuth_Token"))
		return
	}
	org, uid := r.PathValue("org"), r.PathValue("user")
	org18, err1 := To18(org)
	uid18, err2 := To18(uid)
	if err1 != nil || err2 != nil || org18 != s.orgID || uid18 != makeID("005", user) {
		writeRaw(w, http.StatusForbidden, []byte("Bad_Id"))
		return
	}
	username, first, last, email, _ := s.userFields(user)
	inst := s.instanceURL(r)
	v := "/services/data/" + latestVersion
	urls := map[string]string{
		"enterprise":     inst + "/services/Soap/c/{version}/" + s.orgID[:15],
		"metadata":       inst + "/services/Soap/m/{version}/" + s.orgID[:15],
		"partner":        inst + "/services/Soap/u/{version}/" + s.orgID[:15],
		"rest":           inst + "/services/data/v{version}/",
		"sobjects":       inst + "/services/data/v{version}/sobjects/",
		"search":         inst + "/services/data/v{version}/search/",
		"query":          inst + "/services/data/v{version}/query/",
		"recent":         inst + "/services/data/v{version}/recent/",
		"limits":         inst + "/services/data/v{version}/limits/",
		"profile":        inst + "/" + uid18,
		"custom_domain":  inst,
		"tooling_rest":   inst + "/services/data/v{version}/tooling/",
		"feeds":          inst + "/services/data/v{version}/chatter/feeds",
		"users":          inst + "/services/data/v{version}/chatter/users",
		"groups":         inst + "/services/data/v{version}/chatter/groups",
		"feed_items":     inst + "/services/data/v{version}/chatter/feed-items",
		"feed_elements":  inst + "/services/data/v{version}/chatter/feed-elements",
		"tooling_soap":   inst + "/services/Soap/T/{version}/" + s.orgID[:15],
		"metadata_rest":  inst + v + "/metadata/",
		"rest_versioned": inst + v + "/",
	}
	delete(urls, "metadata_rest")
	delete(urls, "rest_versioned")
	now := formatTime(s.nowSec())
	writeJSON(w, http.StatusOK, map[string]any{
		"id":                      s.identityURL(r, user),
		"asserted_user":           true,
		"user_id":                 uid18,
		"organization_id":         s.orgID,
		"username":                username,
		"nick_name":               strings.SplitN(username, "@", 2)[0],
		"display_name":            strings.TrimSpace(first + " " + last),
		"email":                   email,
		"email_verified":          true,
		"first_name":              first,
		"last_name":               last,
		"timezone":                "America/Los_Angeles",
		"photos":                  map[string]string{},
		"addr_street":             nil,
		"addr_city":               nil,
		"addr_state":              nil,
		"addr_country":            "US",
		"addr_zip":                nil,
		"mobile_phone":            nil,
		"mobile_phone_verified":   false,
		"is_lightning_login_user": false,
		"status":                  map[string]any{"created_date": nil, "body": nil},
		"urls":                    urls,
		"active":                  true,
		"user_type":               "STANDARD",
		"language":                "en_US",
		"locale":                  "en_US",
		"utcOffset":               -28800000,
		"last_modified_date":      now,
		"is_app_installed":        true,
	})
}

// handleUserInfo serves the OpenID Connect userinfo endpoint.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticate(r)
	if !ok {
		writeRaw(w, http.StatusForbidden, []byte("Bad_OAuth_Token"))
		return
	}
	username, first, last, email, _ := s.userFields(user)
	inst := s.instanceURL(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"sub":                s.identityURL(r, user),
		"user_id":            makeID("005", user),
		"organization_id":    s.orgID,
		"preferred_username": username,
		"nickname":           strings.SplitN(username, "@", 2)[0],
		"name":               strings.TrimSpace(first + " " + last),
		"email":              email,
		"email_verified":     true,
		"given_name":         first,
		"family_name":        last,
		"zoneinfo":           "America/Los_Angeles",
		"photos":             map[string]string{},
		"profile":            inst + "/" + makeID("005", user),
		"picture":            inst + "/img/userprofile/default_profile_200_v2.png",
		"address":            map[string]string{"country": "US"},
		"urls": map[string]string{
			"rest":     inst + "/services/data/v{version}/",
			"sobjects": inst + "/services/data/v{version}/sobjects/",
			"query":    inst + "/services/data/v{version}/query/",
			"limits":   inst + "/services/data/v{version}/limits/",
		},
		"active":     true,
		"user_type":  "STANDARD",
		"language":   "en_US",
		"locale":     "en_US",
		"utcOffset":  -28800000,
		"updated_at": formatTime(s.nowSec()),
	})
}
