package sync_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	contactsync "github.com/contactsync/contactsync/sync"
)

// fuzzRegions are the regions FuzzNormalizePhone picks from: a region
// libphonenumber does not know must not panic either.
var fuzzRegions = []string{"US", "GB", "DE", "FR", "IN", "BR", "AU", "JP", "", "XX", "001"}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"(415) 555-0134", "+1 415 555 0134", "415.555.0134", "001 415 555 0134 ext. 12",
		"+44 (0)20 7946 0958", "0049 30 901820", "06.12.34.56.78", "+91-98765-43210",
		"(11) 91234-5678", "0412 345 678", "090-1234-5678", "1-800-FLOWERS", "12 3", "+", "00", "",
		"+8613800138000", "tel:+1-415-555-0134", "＋４４ ２０ ７９４６ ０９５８",
	} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, raw string, r uint8) {
		region := fuzzRegions[int(r)%len(fuzzRegions)]
		p := contactsync.NormalizePhone(raw, region)
		if p.Raw != raw {
			t.Fatalf("Raw = %q, want %q", p.Raw, raw)
		}
		if p.E164 == "" {
			if p.Extension != "" {
				t.Fatalf("no E164 but extension %q", p.Extension)
			}
			return
		}
		if !isE164(p.E164) {
			t.Fatalf("NormalizePhone(%q, %q).E164 = %q, not + and digits", raw, region, p.E164)
		}
		for _, again := range []string{region, "US", "GB"} {
			q := contactsync.NormalizePhone(p.E164, again)
			if q.E164 != p.E164 || q.Extension != "" {
				t.Fatalf("not idempotent: %q (%s) -> %q; in %s -> %q ext %q", raw, region, p.E164, again, q.E164, q.Extension)
			}
		}
	})
}

// isE164 checks the shape of an E.164 key: "+", a country code that does
// not start with 0, digits. It allows more than E.164's 15 digits because
// libphonenumber accepts some longer German numbers as valid (the fuzzer found
// "+49201000000000000"); they are still stable keys.
func isE164(s string) bool {
	if len(s) < 3 || len(s) > 20 || s[0] != '+' || s[1] == '0' {
		return false
	}
	return strings.Trim(s[1:], "0123456789") == ""
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"jane@example.com", "Jane.Doe@Example.COM", " jane@example.com ", "jane@münchen.de",
		"Jane Doe <jane@example.com>", `"jane doe"@example.com`, "jane@@example.com",
		"jane@example.com.", "jane@xn--.com", "info@例え.jp", "JOSÉ@example.com", "a@b.c",
		"jane@[192.0.2.1]", "a@xn--mnchen-3ya.de", "İ@example.com", "ß@STRASSE.de",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := contactsync.NormalizeEmail(raw)
		if !ok {
			if got != "" {
				t.Fatalf("NormalizeEmail(%q) = %q with ok false", raw, got)
			}
			return
		}
		if !utf8.ValidString(got) || strings.TrimSpace(got) != got || strings.Count(got, "@") < 1 {
			t.Fatalf("NormalizeEmail(%q) = %q: not a trimmed, valid address", raw, got)
		}
		local, domain := got[:strings.LastIndexByte(got, '@')], got[strings.LastIndexByte(got, '@')+1:]
		if local == "" || domain == "" || domain != strings.ToLower(domain) {
			t.Fatalf("NormalizeEmail(%q) = %q: bad local or domain", raw, got)
		}
		for _, label := range strings.Split(domain, ".") {
			if label == "" {
				t.Fatalf("NormalizeEmail(%q) = %q: empty domain label", raw, got)
			}
		}
		for _, r := range domain {
			if r >= utf8.RuneSelf {
				t.Fatalf("NormalizeEmail(%q) = %q: domain not ASCII", raw, got)
			}
		}
		again, ok := contactsync.NormalizeEmail(got)
		if !ok || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", raw, got, again, ok)
		}
	})
}
