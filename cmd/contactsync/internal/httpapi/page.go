package httpapi

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"time"

	contactsync "github.com/contactsync/contactsync/sync"
)

//go:embed templates/*.html
var templateFS embed.FS

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"percent": func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
}).ParseFS(templateFS, "templates/*.html"))

// flashes are the messages a redirect may ask the page to show; anything
// else in ?msg= is ignored.
var flashes = map[string]string{
	"saved":        "Settings saved. They take effect on the next sync pass.",
	"sync_started": "Sync started. Refresh to see its summary.",
	"sync_running": "A sync of this workspace is already running.",
	"logged_out":   "Logged out.",
}

// toggles are the settings the page can flip.
var toggles = []struct{ Name, Label, Help string }{
	{"auto_create", "Auto-create contacts", "Create a local contact for each new Salesforce Contact that matches none."},
	{"add_tag", "Tag auto-created contacts", "Tag them \u201cAuto-created: Salesforce\u201d."},
	{"include_bulk_import", "Include bulk imports", "Also auto-create contacts that Salesforce created in bulk imports."},
}

type toggleView struct {
	Name, Label, Help string
	On                bool
}

type pageView struct {
	Workspace string
	Query     string
	CSRF      string
	Flash     string
	Error     string
	Status    statusJSON
	Toggles   []toggleView
	AuthOn    bool
}

// setPageHeaders forbids framing and scripts: the page is plain HTML forms.
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer browsers send
	// "Origin: null" on form posts, which the CSRF check refuses.
	h.Set("Referrer-Policy", "same-origin")
}

func (s *Server) render(w http.ResponseWriter, status int, name string, v any) {
	setPageHeaders(w)
	w.WriteHeader(status)
	if err := pageTemplates.ExecuteTemplate(w, name, v); err != nil {
		s.log.Error("render page", "template", name, "err", err)
	}
}

func wsQuery(ws string) string {
	return "workspace=" + url.QueryEscape(ws)
}

// handlePage shows the admin page, or the login form when the browser has no
// session.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.workspaceRequest(r, "msg")
	if err != nil {
		return err
	}
	v := pageView{Workspace: ws, Query: wsQuery(ws), AuthOn: s.cfg.AdminToken != "", Flash: flashes[r.URL.Query().Get("msg")]}
	if err := s.authenticate(r); err != nil {
		s.render(w, http.StatusOK, "login.html", v)
		return nil
	}
	v.CSRF = s.csrfToken(r)
	st, err := s.status(r.Context(), ws)
	if err != nil {
		e := toError(err)
		if e.Status >= 500 {
			s.log.Error("admin page status", "workspace", ws, "err", err)
		}
		v.Error = e.Message
		s.render(w, e.Status, "admin.html", v)
		return nil
	}
	v.Status = st
	on := map[string]bool{"auto_create": st.Settings.AutoCreate, "add_tag": st.Settings.AddTag, "include_bulk_import": st.Settings.IncludeBulkImport}
	for _, t := range toggles {
		v.Toggles = append(v.Toggles, toggleView{Name: t.Name, Label: t.Label, Help: t.Help, On: on[t.Name]})
	}
	s.render(w, http.StatusOK, "admin.html", v)
	return nil
}

// parseForm reads a small urlencoded form body.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "invalid", "malformed form")
	}
	return nil
}

// checkForm reads a form posted by the admin page and checks its CSRF token.
func (s *Server) checkForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.parseForm(w, r); err != nil {
		return err
	}
	return s.checkCSRF(r)
}

// pageFunc handles a form post of the admin page about workspace ws. It
// returns its error instead of writing it; see page.
type pageFunc func(w http.ResponseWriter, r *http.Request, ws string) error

// page adapts h: a bad workspace is answered in JSON, like every API
// request, and an error h returns is shown as an HTML page with a way back.
func (s *Server) page(h pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ws, err := s.workspace(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r, ws); err != nil {
			s.pageError(w, r, ws, err)
		}
	}
}

// pageError shows a failed form post as an HTML page with a way back.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, ws string, err error) {
	e := toError(err)
	if e.Status >= 500 {
		s.log.Error("admin page", "path", r.URL.Path, "err", err)
	}
	s.render(w, e.Status, "error.html", pageView{Workspace: ws, Query: wsQuery(ws), Error: e.Message})
}

func (s *Server) redirectPage(w http.ResponseWriter, r *http.Request, ws, msg string) {
	u := "/admin/?" + wsQuery(ws)
	if msg != "" {
		u += "&msg=" + url.QueryEscape(msg)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// handleLogin checks the token typed into the login form and starts a
// session: an HttpOnly, SameSite=Strict cookie holding an expiring HMAC, not
// the token.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request, ws string) error {
	if err := s.parseForm(w, r); err != nil {
		return err
	}
	if !sameOrigin(r) {
		return errorf(http.StatusForbidden, "cross_origin", "cross-origin logins are refused")
	}
	if s.cfg.AdminToken == "" {
		s.redirectPage(w, r, ws, "")
		return nil
	}
	if !tokenEqual(r.PostFormValue("token"), s.cfg.AdminToken) {
		s.render(w, http.StatusUnauthorized, "login.html", pageView{Workspace: ws, Query: wsQuery(ws), AuthOn: true, Error: "That token is not valid."})
		return nil
	}
	s.setSessionCookie(w, r, s.newSession(), int(sessionTTL/time.Second))
	s.redirectPage(w, r, ws, "")
	return nil
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, ws string) error {
	if !sameOrigin(r) {
		return errorf(http.StatusForbidden, "cross_origin", "cross-origin form posts are refused")
	}
	s.setSessionCookie(w, r, "", -1)
	s.redirectPage(w, r, ws, "logged_out")
	return nil
}

// handlePageSettings flips one of the page's toggles.
func (s *Server) handlePageSettings(w http.ResponseWriter, r *http.Request, ws string) error {
	if err := s.checkForm(w, r); err != nil {
		return err
	}
	name := r.PostFormValue("setting")
	var value bool
	switch r.PostFormValue("value") {
	case "true":
		value = true
	case "false":
	default:
		return errorf(http.StatusBadRequest, "invalid", "value must be true or false")
	}
	var set func(*contactsync.Settings)
	switch name {
	case "auto_create":
		set = func(st *contactsync.Settings) { st.AutoCreate = value }
	case "add_tag":
		set = func(st *contactsync.Settings) { st.AddTag = value }
	case "include_bulk_import":
		set = func(st *contactsync.Settings) { st.IncludeBulkImport = value }
	default:
		return errorf(http.StatusBadRequest, "invalid", "unknown setting %q", name)
	}
	_, err := s.updateSettings(r.Context(), ws, "admin page", func(st *contactsync.Settings) error {
		set(st)
		return st.Validate()
	})
	if err != nil {
		return err
	}
	s.redirectPage(w, r, ws, "saved")
	return nil
}

// handlePageSync is the page's "Sync now" button.
func (s *Server) handlePageSync(w http.ResponseWriter, r *http.Request, ws string) error {
	if err := s.checkForm(w, r); err != nil {
		return err
	}
	if _, err := s.cfg.Store.Workspace(r.Context(), ws); err != nil {
		return err
	}
	err := s.startSync(ws, contactsync.Options{})
	if errors.Is(err, errSyncRunning) {
		s.redirectPage(w, r, ws, "sync_running")
		return nil
	}
	if err != nil {
		return err
	}
	s.redirectPage(w, r, ws, "sync_started")
	return nil
}
