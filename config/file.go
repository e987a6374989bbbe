package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	contactsync "github.com/contactsync/contactsync/sync"
)

// fileConfig is the shape of the --config file. The file is YAML, so a JSON
// file works as well; unknown keys are errors, so a typo never silently
// falls back to a default.
type fileConfig struct {
	// FieldMappings replaces the default field map entirely when present.
	FieldMappings *contactsync.FieldMap `yaml:"field_mappings"`
	// Settings are the defaults for new workspaces; keys left out keep
	// contactsync.DefaultSettings' values.
	Settings         *fileSettings     `yaml:"settings"`
	BulkImportMarker *BulkImportMarker `yaml:"bulk_import_marker"`
}

// fileSettings mirrors contactsync.Settings with the JSON names the admin API
// uses. Pointers tell "left out" from "false".
type fileSettings struct {
	AutoCreate         *bool                       `yaml:"auto_create"`
	AddTag             *bool                       `yaml:"add_tag"`
	IncludeBulkImport  *bool                       `yaml:"include_bulk_import"`
	ConflictPolicy     *contactsync.ConflictPolicy `yaml:"conflict_policy"`
	PhoneRegion        *string                     `yaml:"phone_region"`
	BulkImportMinGroup *int                        `yaml:"bulk_import_min_group"`
	PushNewContacts    *bool                       `yaml:"push_new_contacts"`
}

// readFile parses the config file strictly.
func readFile(name string) (*fileConfig, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var f fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config file %s: %w (want YAML or JSON with field_mappings, settings, bulk_import_marker)", name, err)
	}
	return &f, nil
}

// apply copies the file's settings into c and validates them.
func (f *fileConfig) apply(name string, c *Config) []error {
	var errs []error
	if f.FieldMappings != nil {
		c.FieldMap = *f.FieldMappings
		if err := c.FieldMap.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("config file %s: field_mappings: %w", name, err))
		}
	}
	if s := f.Settings; s != nil {
		set(&c.Settings.AutoCreate, s.AutoCreate)
		set(&c.Settings.AddTag, s.AddTag)
		set(&c.Settings.IncludeBulkImport, s.IncludeBulkImport)
		set(&c.Settings.ConflictPolicy, s.ConflictPolicy)
		if s.PhoneRegion != nil {
			c.Settings.PhoneRegion = strings.ToUpper(*s.PhoneRegion)
		}
		set(&c.Settings.BulkImportMinGroup, s.BulkImportMinGroup)
		set(&c.Settings.PushNewContacts, s.PushNewContacts)
		if err := c.Settings.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("config file %s: settings: %w", name, err))
		}
	}
	if m := f.BulkImportMarker; m != nil {
		c.BulkImportMarker = *m
		if m.Field == "" || m.Value == "" {
			errs = append(errs, fmt.Errorf("config file %s: bulk_import_marker: want both field (a Salesforce field such as Import_Batch__c) and value", name))
		} else if !sfFieldName.MatchString(m.Field) {
			errs = append(errs, fmt.Errorf("config file %s: bulk_import_marker: field %q is not a Salesforce field name", name, m.Field))
		}
	}
	return errs
}

// sfFieldName matches Salesforce API field names such as Import_Batch__c.
var sfFieldName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
