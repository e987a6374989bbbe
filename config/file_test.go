package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactsync/contactsync/config"
	contactsync "github.com/contactsync/contactsync/sync"
)

// MustWriteFile writes content to a file in a fresh temporary directory and
// returns its path.
func MustWriteFile(tb testing.TB, name, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestLoad_File(t *testing.T) {
	file := MustWriteFile(t, "contactsync.yaml", `
# Field mappings replace the defaults entirely.
field_mappings:
  - {salesforce: FirstName, local: first_name, direction: both}
  - {salesforce: LastName, local: last_name, direction: both}
  - {salesforce: Email, local: email, direction: both}
  - {salesforce: Customer_Tier__c, local: custom.tier, direction: pull}
settings:
  auto_create: true
  add_tag: false
  conflict_policy: local_wins
  phone_region: gb
  bulk_import_min_group: 25
bulk_import_marker:
  field: Import_Batch__c
  value: dataloader
`)
	c, err := config.Load(env(nil), file)
	if err != nil {
		t.Fatal(err)
	}
	want := contactsync.FieldMap{
		{Salesforce: "FirstName", Local: "first_name", Direction: contactsync.DirBoth},
		{Salesforce: "LastName", Local: "last_name", Direction: contactsync.DirBoth},
		{Salesforce: "Email", Local: "email", Direction: contactsync.DirBoth},
		{Salesforce: "Customer_Tier__c", Local: "custom.tier", Direction: contactsync.DirPull},
	}
	if len(c.FieldMap) != len(want) {
		t.Fatalf("FieldMap = %v, want %v", c.FieldMap, want)
	}
	for i := range want {
		if c.FieldMap[i] != want[i] {
			t.Errorf("FieldMap[%d] = %v, want %v", i, c.FieldMap[i], want[i])
		}
	}
	s := c.Settings
	if !s.AutoCreate || s.AddTag || s.IncludeBulkImport || s.ConflictPolicy != contactsync.LocalWins ||
		s.PhoneRegion != "GB" || s.BulkImportMinGroup != 25 || s.PushNewContacts {
		t.Errorf("Settings = %+v", s)
	}
	if c.BulkImportMarker != (config.BulkImportMarker{Field: "Import_Batch__c", Value: "dataloader"}) {
		t.Errorf("BulkImportMarker = %+v", c.BulkImportMarker)
	}
}

func TestLoad_FileJSON(t *testing.T) {
	file := MustWriteFile(t, "contactsync.json", `{"settings": {"include_bulk_import": true, "push_new_contacts": true}}`)
	c, err := config.Load(env(nil), file)
	if err != nil {
		t.Fatal(err)
	}
	// Keys left out keep their defaults.
	if !c.Settings.IncludeBulkImport || !c.Settings.PushNewContacts || !c.Settings.AddTag || c.Settings.PhoneRegion != "US" {
		t.Errorf("Settings = %+v", c.Settings)
	}
	if len(c.FieldMap) != len(contactsync.DefaultFieldMap()) {
		t.Errorf("FieldMap = %v, want the default", c.FieldMap)
	}
}

func TestLoad_EnvOverridesFile(t *testing.T) {
	file := MustWriteFile(t, "c.yaml", "settings:\n  phone_region: GB\n  push_new_contacts: true\n")
	c, err := config.Load(env(map[string]string{
		config.EnvPhoneRegion:     "IN",
		config.EnvPushNewContacts: "false",
	}), file)
	if err != nil {
		t.Fatal(err)
	}
	if c.Settings.PhoneRegion != "IN" || c.Settings.PushNewContacts {
		t.Errorf("Settings = %+v, want phone_region IN and push_new_contacts false from the environment", c.Settings)
	}
}

func TestLoad_EmptyFile(t *testing.T) {
	c, err := config.Load(env(nil), MustWriteFile(t, "empty.yaml", "# nothing yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.FieldMap) != len(contactsync.DefaultFieldMap()) || c.Settings != contactsync.DefaultSettings() {
		t.Errorf("an empty file changed the defaults: %+v", c)
	}
}

func TestLoad_FileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"UnknownKey", "setings:\n  auto_create: true\n", []string{"field setings not found"}},
		{"UnknownSettingsKey", "settings:\n  autocreate: true\n", []string{"field autocreate not found"}},
		{"WrongType", "settings:\n  auto_create: maybe\n", []string{"line 2: cannot unmarshal"}},
		{"NotYAML", "field_mappings: [\n", []string{"want YAML or JSON"}},
		{"FieldMapping/UnknownAttr", "field_mappings:\n  - {salesforce: Phone, local: telephone, direction: pull}\n",
			[]string{"field_mappings:", `unknown local attribute "telephone"`}},
		{"FieldMapping/BadDirection", "field_mappings:\n  - {salesforce: Phone, local: phone, direction: sideways}\n",
			[]string{"field_mappings:", "direction must be pull, push or both"}},
		{"FieldMapping/Twice", "field_mappings:\n  - {salesforce: Phone, local: phone, direction: pull}\n  - {salesforce: phone, local: mobile_phone, direction: pull}\n",
			[]string{`Salesforce field "phone" mapped twice`}},
		{"FieldMapping/BadName", "field_mappings:\n  - {salesforce: 'Bad Field', local: title, direction: pull}\n",
			[]string{`"Bad Field" is not a Salesforce field name`}},
		{"Settings/ConflictPolicy", "settings:\n  conflict_policy: newest_wins\n", []string{"settings:", "conflict_policy must be"}},
		{"Settings/PhoneRegion", "settings:\n  phone_region: Europe\n", []string{"settings:", "phone_region must be"}},
		{"Settings/MinGroup", "settings:\n  bulk_import_min_group: 1\n", []string{"bulk_import_min_group must be at least 2"}},
		{"Marker/NoValue", "bulk_import_marker:\n  field: Import_Batch__c\n", []string{"bulk_import_marker: want both field"}},
		{"Marker/BadField", "bulk_import_marker:\n  field: 'Import Batch'\n  value: x\n", []string{`field "Import Batch" is not a Salesforce field name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := MustWriteFile(t, "c.yaml", tt.content)
			_, err := config.Load(env(nil), file)
			if err == nil {
				t.Fatal("Load succeeded, want error")
			}
			msg := err.Error()
			if !strings.Contains(msg, "config file "+file) {
				t.Errorf("error does not name the file: %v", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error = %q\nwant it to contain %q", msg, w)
				}
			}
		})
	}

	t.Run("Missing", func(t *testing.T) {
		_, err := config.Load(env(nil), filepath.Join(t.TempDir(), "nope.yaml"))
		if err == nil || !strings.Contains(err.Error(), "config file") || !os.IsNotExist(unwrapAll(err)) {
			t.Errorf("err = %v, want a not-exist error naming the config file", err)
		}
	})

	t.Run("FileAndEnvErrorsTogether", func(t *testing.T) {
		file := MustWriteFile(t, "c.yaml", "settings:\n  conflict_policy: x\n")
		_, err := config.Load(env(map[string]string{config.EnvLogFormat: "xml"}), file)
		if err == nil || !strings.Contains(err.Error(), "conflict_policy") || !strings.Contains(err.Error(), config.EnvLogFormat) {
			t.Errorf("err = %v, want both the file and the variable reported", err)
		}
	})
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() []error })
		if ok && len(u.Unwrap()) == 1 {
			err = u.Unwrap()[0]
			continue
		}
		w, ok := err.(interface{ Unwrap() error })
		if !ok || w.Unwrap() == nil {
			return err
		}
		err = w.Unwrap()
	}
}
