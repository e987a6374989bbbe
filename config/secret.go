package config

import (
	"log/slog"
	"net/url"
	"strings"
)

const redacted = "[redacted]"

// Secret is a credential read from the configuration. It prints, logs and
// marshals as "[redacted]" (or "" when unset) so that printing a Config never
// leaks it; Reveal returns the value.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s != "" }

func (s Secret) String() string               { return mask(s.IsSet()) }
func (s Secret) GoString() string             { return mask(s.IsSet()) }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(mask(s.IsSet())) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(mask(s.IsSet())), nil }

// EncryptionKey is the 32-byte AES-256 key that encrypts stored refresh
// tokens. Like Secret it never prints. It is assignable to a []byte field.
type EncryptionKey []byte

func (k EncryptionKey) String() string               { return mask(len(k) > 0) }
func (k EncryptionKey) GoString() string             { return mask(len(k) > 0) }
func (k EncryptionKey) LogValue() slog.Value         { return slog.StringValue(mask(len(k) > 0)) }
func (k EncryptionKey) MarshalText() ([]byte, error) { return []byte(mask(len(k) > 0)), nil }

func mask(set bool) string {
	if set {
		return redacted
	}
	return ""
}

// redactURL hides the password in a database URL; values that are not URLs
// (SQLite paths) are returned as they are.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return redacted // unparsable but may hold credentials
		}
		return s
	}
	if u.User == nil {
		return s
	}
	return u.Redacted()
}
