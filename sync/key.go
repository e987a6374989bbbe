package sync

import (
	"net/mail"
	"slices"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/idna"
)

// KeyKind says what a match key was derived from.
type KeyKind string

// The kinds of match key.
const (
	KeyEmail KeyKind = "email"
	KeyPhone KeyKind = "phone"
)

// Key is a normalized match key: an E.164 phone number or a normalized email
// address. Keys are comparable and used as map keys.
type Key struct {
	Kind  KeyKind
	Value string
}

func (k Key) String() string { return string(k.Kind) + ":" + k.Value }

// Phone is a phone number as entered and its normalized parts.
type Phone struct {
	// Raw is the value as entered.
	Raw string
	// E164 is the number in E.164 form (+14155550134), empty when the raw
	// value is not a valid number.
	E164 string
	// Extension is the extension, kept apart from the key.
	Extension string
}

// Key returns the phone's match key and whether it has one. Invalid numbers
// have none: they never match anything.
func (p Phone) Key() (Key, bool) {
	if p.E164 == "" {
		return Key{}, false
	}
	return Key{Kind: KeyPhone, Value: p.E164}, true
}

// ValidRegion reports whether region is a region libphonenumber knows, such
// as "US" or "GB".
func ValidRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(region) != 0
}

// NormalizePhone reads raw as a phone number, using region for numbers
// written without a country code. Formatting does not matter: "(415)
// 555-0134", "+1 415 555 0134" and "415.555.0134" give the same E164. A number
// libphonenumber considers invalid keeps its Raw value and gets no E164.
// Normalizing an E164 value returns it unchanged.
func NormalizePhone(raw, region string) Phone {
	p := Phone{Raw: raw}
	s := strings.TrimSpace(raw)
	if s == "" || !strings.ContainsFunc(s, unicode.IsDigit) {
		return p
	}
	// International prefixes written as 00 are common in Europe ("0049 30
	// 901820"); libphonenumber reads them only for regions that dial 00, so
	// rewrite them to "+" first.
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return p
	}
	p.E164 = phonenumbers.Format(n, phonenumbers.E164)
	p.Extension = n.GetExtension()
	return p
}

// NormalizeEmail returns the match key form of an email address: trimmed,
// lower-cased, with an internationalized domain in punycode. It returns false
// for values that are not a single bare address; display names ("Jane
// <jane@example.com>") and quoted local parts are not keys.
func NormalizeEmail(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" || strings.ContainsAny(s, "<>\" ,;") {
		return "", false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", false
	}
	local, domain := s[:at], strings.TrimSuffix(s[at+1:], ".")
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || !strings.Contains(ascii, ".") {
		return "", false
	}
	key := strings.ToLower(local) + "@" + strings.ToLower(ascii)
	// IDNA mapping and lower-casing can yield something that is no longer an
	// address ("xn--.com" decodes to an empty label and becomes ".com"); a
	// key must be a bare address that normalizes to itself.
	if a, err := mail.ParseAddress(key); err != nil || a.Address != key || slices.Contains(strings.Split(ascii, "."), "") {
		return "", false
	}
	return key, true
}

// EmailKey returns the match key for an email address and whether it has
// one.
func EmailKey(raw string) (Key, bool) {
	v, ok := NormalizeEmail(raw)
	if !ok {
		return Key{}, false
	}
	return Key{Kind: KeyEmail, Value: v}, true
}

// KeysOf returns the distinct match keys of a set of email and phone values,
// in the order given, skipping values that have no key.
func KeysOf(region string, emails, phones []string) []Key {
	var keys []Key
	seen := make(map[Key]bool, len(emails)+len(phones))
	add := func(k Key, ok bool) {
		if ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, e := range emails {
		add(EmailKey(e))
	}
	for _, raw := range phones {
		add(NormalizePhone(raw, region).Key())
	}
	return keys
}
