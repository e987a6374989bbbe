package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"

	contactsync "github.com/contactsync/contactsync/sync"
)

// settingsJSON is the wire form of a workspace's settings.
type settingsJSON struct {
	AutoCreate         bool   `json:"auto_create"`
	AddTag             bool   `json:"add_tag"`
	IncludeBulkImport  bool   `json:"include_bulk_import"`
	ConflictPolicy     string `json:"conflict_policy"`
	PhoneRegion        string `json:"phone_region"`
	BulkImportMinGroup int    `json:"bulk_import_min_group"`
	PushNewContacts    bool   `json:"push_new_contacts"`
}

func toSettingsJSON(s contactsync.Settings) settingsJSON {
	return settingsJSON{
		AutoCreate:         s.AutoCreate,
		AddTag:             s.AddTag,
		IncludeBulkImport:  s.IncludeBulkImport,
		ConflictPolicy:     string(s.ConflictPolicy),
		PhoneRegion:        s.PhoneRegion,
		BulkImportMinGroup: s.BulkImportMinGroup,
		PushNewContacts:    s.PushNewContacts,
	}
}

// settingField is one settable setting: how to decode it onto Settings and
// how to show its value in the audit log.
type settingField struct {
	name  string
	want  string
	apply func(raw json.RawMessage, s *contactsync.Settings) error
	value func(s contactsync.Settings) any
}

func boolSetting(name string, p func(*contactsync.Settings) *bool) settingField {
	return settingField{
		name: name, want: "a boolean",
		apply: func(raw json.RawMessage, s *contactsync.Settings) error {
			return decodeField(name, raw, p(s), "a boolean")
		},
		value: func(s contactsync.Settings) any { return *p(&s) },
	}
}

// settingFields lists the settings in wire order.
var settingFields = []settingField{
	boolSetting("auto_create", func(s *contactsync.Settings) *bool { return &s.AutoCreate }),
	boolSetting("add_tag", func(s *contactsync.Settings) *bool { return &s.AddTag }),
	boolSetting("include_bulk_import", func(s *contactsync.Settings) *bool { return &s.IncludeBulkImport }),
	{
		name: "conflict_policy", want: "a string",
		apply: func(raw json.RawMessage, s *contactsync.Settings) error {
			var v string
			if err := decodeField("conflict_policy", raw, &v, "a string"); err != nil {
				return err
			}
			s.ConflictPolicy = contactsync.ConflictPolicy(v)
			return nil
		},
		value: func(s contactsync.Settings) any { return string(s.ConflictPolicy) },
	},
	{
		name: "phone_region", want: "a string",
		apply: func(raw json.RawMessage, s *contactsync.Settings) error {
			return decodeField("phone_region", raw, &s.PhoneRegion, "a string")
		},
		value: func(s contactsync.Settings) any { return s.PhoneRegion },
	},
	{
		name: "bulk_import_min_group", want: "an integer",
		apply: func(raw json.RawMessage, s *contactsync.Settings) error {
			var v int64
			if err := decodeField("bulk_import_min_group", raw, &v, "an integer"); err != nil {
				return err
			}
			if v > 1_000_000 || v < -1_000_000 {
				return errorf(http.StatusBadRequest, "invalid", "bulk_import_min_group must be at most 1000000")
			}
			s.BulkImportMinGroup = int(v)
			return nil
		},
		value: func(s contactsync.Settings) any { return s.BulkImportMinGroup },
	},
	boolSetting("push_new_contacts", func(s *contactsync.Settings) *bool { return &s.PushNewContacts }),
}

// parseSettingsPatch returns a function applying a partial settings body.
// Unknown fields, nulls and wrong types are refused before anything is read
// from the store.
func parseSettingsPatch(b []byte) (func(*contactsync.Settings) error, error) {
	m, err := decodeObject(b)
	if err != nil {
		return nil, err
	}
	var fields []settingField
	for k := range m {
		i := slices.IndexFunc(settingFields, func(f settingField) bool { return f.name == k })
		if i < 0 {
			return nil, errorf(http.StatusBadRequest, "unknown_field", "unknown setting %q", k)
		}
		fields = append(fields, settingFields[i])
	}
	// Check the types now, on a scratch value, so a bad body fails as 400
	// without touching the store.
	var scratch contactsync.Settings
	for _, f := range fields {
		if err := f.apply(m[f.name], &scratch); err != nil {
			return nil, err
		}
	}
	return func(s *contactsync.Settings) error {
		for _, f := range fields {
			if err := f.apply(m[f.name], s); err != nil {
				return err
			}
		}
		return s.Validate()
	}, nil
}

func (s *Server) handleGetSettings(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.workspaceRequest(r)
	if err != nil {
		return err
	}
	wsp, err := s.cfg.Store.Workspace(r.Context(), ws)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSettingsJSON(wsp.Settings))
	return nil
}

func (s *Server) handlePatchSettings(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.workspaceRequest(r)
	if err != nil {
		return err
	}
	fn, err := parseBody(s, w, r, parseSettingsPatch)
	if err != nil {
		return err
	}
	after, err := s.updateSettings(r.Context(), ws, "admin api", fn)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSettingsJSON(after))
	return nil
}

// updateSettings applies fn in the store and audit-logs what changed. The
// engine reads settings at the start of each pass, so a change takes effect
// on the next one.
func (s *Server) updateSettings(ctx context.Context, ws, via string, fn func(*contactsync.Settings) error) (contactsync.Settings, error) {
	before, after, err := s.cfg.Store.UpdateSettings(ctx, ws, fn)
	if err != nil {
		return contactsync.Settings{}, err
	}
	var changed []string
	var olds, news []any
	for _, f := range settingFields {
		o, n := f.value(before), f.value(after)
		if o != n {
			changed = append(changed, f.name)
			olds = append(olds, slog.Any(f.name, o))
			news = append(news, slog.Any(f.name, n))
		}
	}
	if len(changed) > 0 {
		s.cfg.Auditor.Record(ctx, contactsync.AuditEvent{
			Workspace: ws,
			Decision:  contactsync.DecisionSettingsChanged,
			Reason:    "changed through the " + via,
			Attrs: []slog.Attr{
				slog.Any("changed", changed),
				slog.Group("old", olds...),
				slog.Group("new", news...),
			},
		})
		s.log.InfoContext(ctx, "settings changed", "workspace", ws, "changed", changed, "via", via)
	}
	return after, nil
}
