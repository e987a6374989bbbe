// Package config reads contactsync's configuration from the environment and
// an optional YAML file, validates it once, and hands cmd a Config value to
// copy into its components. There is no global configuration.
//
// # Sources
//
// Scalar settings (database, Salesforce credentials, HTTP address, schedule,
// keys) come from CONTACTSYNC_* environment variables; Vars lists every one
// with its default and what it accepts. Structured settings — field mappings,
// the defaults for new workspaces and the bulk-import marker — come from a
// file given with --config. Where both set the same thing (the phone region,
// pushing new contacts) the environment wins.
//
// # Errors
//
// Load reports every bad value at once, joined with errors.Join. Each message
// names the variable (or the file and key) and what it accepts:
//
//	CONTACTSYNC_CACHE_TTL: "abc" is not a duration (want e.g. 60s, 5m)
//
// Secret values are never repeated in errors.
//
// # Secrets
//
// Tokens, the client secret and the encryption key are held in Secret and
// EncryptionKey values, which print, log and marshal as "[redacted]". Config's
// String and LogValue also hide the password of a database URL. Code that
// needs the real value asks for it with Reveal.
package config
