package sync_test

import (
	"slices"
	"testing"

	contactsync "github.com/contactsync/contactsync/sync"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		region string
		e164   string // "" means no key
		ext    string
	}{
		// United States: the formats respond.io users paste, all one key.
		{"US/Brackets", "(415) 555-0134", "US", "+14155550134", ""},
		{"US/International", "+1 415 555 0134", "US", "+14155550134", ""},
		{"US/Dots", "415.555.0134", "US", "+14155550134", ""},
		{"US/Dashes", "415-555-0134", "US", "+14155550134", ""},
		{"US/LeadingOne", "1-415-555-0134", "US", "+14155550134", ""},
		{"US/Digits", "4155550134", "US", "+14155550134", ""},
		{"US/E164", "+14155550134", "US", "+14155550134", ""},
		{"US/Whitespace", " \t415 555 0134\n", "US", "+14155550134", ""},
		{"US/00Prefix", "001 415 555 0134", "US", "+14155550134", ""},
		{"US/011Prefix", "011 44 20 7946 0958", "US", "+442079460958", ""},
		{"US/ExtWord", "+1 (415) 555-0134 ext. 12", "US", "+14155550134", "12"},
		{"US/ExtX", "415-555-0134 x99", "US", "+14155550134", "99"},
		{"US/ExtHash", "415 555 0134 #7", "US", "+14155550134", "7"},
		{"US/Vanity", "1-800-FLOWERS", "US", "+18003569377", ""},
		{"US/NoAreaCode", "555-0134", "US", "", ""},
		{"US/TooLong", "415 555 0134 5678 9", "US", "", ""},
		{"US/BadAreaCode", "(015) 555-0134", "US", "", ""},

		// United Kingdom.
		{"GB/National", "020 7946 0958", "GB", "+442079460958", ""},
		{"GB/TrunkInBrackets", "+44 (0)20 7946 0958", "GB", "+442079460958", ""},
		{"GB/00Prefix", "0044 20 7946 0958", "GB", "+442079460958", ""},
		{"GB/Mobile", "07911 123456", "GB", "+447911123456", ""},
		{"GB/FromUSRegion", "+44 20 7946 0958", "US", "+442079460958", ""},
		{"GB/NationalFromUSRegion", "020 7946 0958", "US", "", ""},

		// Germany.
		{"DE/National", "030 901820", "DE", "+4930901820", ""},
		{"DE/TrunkInBrackets", "+49 (0)30 901820", "DE", "+4930901820", ""},
		{"DE/00Prefix", "0049 30 901820", "DE", "+4930901820", ""},
		{"DE/00PrefixFromUS", "0049 30 901820", "US", "+4930901820", ""},
		{"DE/Slash", "030/901820", "DE", "+4930901820", ""},
		{"DE/Mobile", "0151 23456789", "DE", "+4915123456789", ""},

		// France.
		{"FR/Spaces", "01 23 45 67 89", "FR", "+33123456789", ""},
		{"FR/Dots", "06.12.34.56.78", "FR", "+33612345678", ""},
		{"FR/International", "+33 6 12 34 56 78", "FR", "+33612345678", ""},
		{"FR/TooShort", "06 12 34", "FR", "", ""},

		// India.
		{"IN/Mobile", "98765 43210", "IN", "+919876543210", ""},
		{"IN/TrunkZero", "09876543210", "IN", "+919876543210", ""},
		{"IN/Dashes", "+91-98765-43210", "US", "+919876543210", ""},

		// Brazil.
		{"BR/Mobile", "(11) 91234-5678", "BR", "+5511912345678", ""},
		{"BR/International", "+55 11 91234-5678", "US", "+5511912345678", ""},

		// Australia.
		{"AU/Landline", "(02) 9374 4000", "AU", "+61293744000", ""},
		{"AU/Mobile", "0412 345 678", "AU", "+61412345678", ""},
		{"AU/International", "+61 412 345 678", "GB", "+61412345678", ""},

		// Japan.
		{"JP/Landline", "03-1234-5678", "JP", "+81312345678", ""},
		{"JP/Mobile", "090-1234-5678", "JP", "+819012345678", ""},
		{"JP/International", "+81 90 1234 5678", "US", "+819012345678", ""},

		// Not phone numbers: they keep their raw value and get no key.
		{"Empty", "", "US", "", ""},
		{"Blank", "   ", "US", "", ""},
		{"Words", "call me maybe", "US", "", ""},
		{"Short", "123", "US", "", ""},
		{"ShortSpaced", "12 3", "US", "", ""},
		{"JustPlus", "+", "US", "", ""},
		{"UnknownCountryCode", "+999 123 456 789", "US", "", ""},
		{"NoRegion", "415 555 0134", "", "", ""},
		{"NoRegionInternational", "+1 415 555 0134", "", "+14155550134", ""},
		{"Email", "jane@example.com", "US", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := contactsync.NormalizePhone(tt.raw, tt.region)
			if p.Raw != tt.raw {
				t.Errorf("Raw = %q, want the input %q unchanged", p.Raw, tt.raw)
			}
			if p.E164 != tt.e164 || p.Extension != tt.ext {
				t.Errorf("NormalizePhone(%q, %q) = E164 %q ext %q, want %q ext %q", tt.raw, tt.region, p.E164, p.Extension, tt.e164, tt.ext)
			}
			k, ok := p.Key()
			if ok != (tt.e164 != "") || (ok && k != (contactsync.Key{Kind: contactsync.KeyPhone, Value: tt.e164})) {
				t.Errorf("Key() = %v, %v; want phone key %q", k, ok, tt.e164)
			}
			if tt.e164 != "" {
				// Idempotent, in the same region or any other.
				for _, region := range []string{tt.region, "US", "GB", "JP"} {
					if again := contactsync.NormalizePhone(tt.e164, region); again.E164 != tt.e164 || again.Extension != "" {
						t.Errorf("NormalizePhone(%q, %q) = %q ext %q, want it unchanged", tt.e164, region, again.E164, again.Extension)
					}
				}
			}
		})
	}
}

// TestNormalizePhone_SameKey checks the equivalences the design promises:
// formatting never splits one number into two keys.
func TestNormalizePhone_SameKey(t *testing.T) {
	groups := []struct {
		region string
		raws   []string
	}{
		{"US", []string{"(415) 555-0134", "+1 415 555 0134", "415.555.0134", "1 (415) 555-0134", "001-415-555-0134", "415 555 0134 ext 7"}},
		{"US", []string{"12 3", "123", "1-2-3"}}, // all no key
		{"GB", []string{"020 7946 0958", "+44 20 7946 0958", "+44 (0) 20 7946 0958", "0044 20 7946 0958", "(020) 7946-0958"}},
		{"DE", []string{"030 901820", "+49 30 901820", "0049 (0)30 901820", "030-901820"}},
	}
	for _, g := range groups {
		want := contactsync.NormalizePhone(g.raws[0], g.region).E164
		for _, raw := range g.raws[1:] {
			if got := contactsync.NormalizePhone(raw, g.region).E164; got != want {
				t.Errorf("%s: NormalizePhone(%q) = %q, but %q gives %q", g.region, raw, got, g.raws[0], want)
			}
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string // "" means not a key
	}{
		{"OK", "jane@example.com", "jane@example.com"},
		{"UpperCase", "Jane.Doe@Example.COM", "jane.doe@example.com"},
		{"Whitespace", " \tjane@example.com \n", "jane@example.com"},
		{"PlusTag", "Jane+CRM@example.com", "jane+crm@example.com"},
		{"Subdomain", "ops@mail.example.co.uk", "ops@mail.example.co.uk"},
		{"IDN", "jane@münchen.de", "jane@xn--mnchen-3ya.de"},
		{"IDNUpperCase", "JANE@MÜNCHEN.DE", "jane@xn--mnchen-3ya.de"},
		{"IDNJapanese", "info@例え.jp", "info@xn--r8jz45g.jp"},
		{"Punycode", "jane@XN--MNCHEN-3YA.de", "jane@xn--mnchen-3ya.de"},
		{"UnicodeLocal", "JOSÉ@example.com", "josé@example.com"},

		{"Empty", "", ""},
		{"Blank", "   ", ""},
		{"DisplayName", "Jane Doe <jane@example.com>", ""},
		{"QuotedDisplayName", `"Doe, Jane" <jane@example.com>`, ""},
		{"AngleBrackets", "<jane@example.com>", ""},
		{"QuotedLocal", `"jane doe"@example.com`, ""},
		{"QuotedLocalNoSpace", `"jane"@example.com`, ""},
		{"TwoAts", "jane@doe@example.com", ""},
		{"DoubleAt", "jane@@example.com", ""},
		{"NoAt", "jane.example.com", ""},
		{"NoLocal", "@example.com", ""},
		{"NoDomain", "jane@", ""},
		{"NoDot", "jane@localhost", ""},
		{"TrailingDotLocal", "jane.@example.com", ""},
		{"LeadingDotLocal", ".jane@example.com", ""},
		{"DoubleDotLocal", "ja..ne@example.com", ""},
		{"DoubleDotDomain", "jane@example..com", ""},
		{"OnlyDotDomain", "jane@.", ""},
		{"SpaceInside", "jane doe@example.com", ""},
		{"List", "jane@example.com, john@example.com", ""},
		{"Semicolon", "jane@example.com;john@example.com", ""},
		{"Comment", "jane@example.com (Jane)", ""},
		{"Phone", "+1 415 555 0134", ""},
		{"TrailingDotDomain", "jane@example.com.", ""}, // net/mail refuses it; Salesforce would too
		{"EmptyPunycodeLabel", "jane@xn--.com", ""},
		{"BadPunycode", "jane@xn--zz.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := contactsync.NormalizeEmail(tt.raw)
			if got != tt.want || ok != (tt.want != "") {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.want != "")
			}
			k, kok := contactsync.EmailKey(tt.raw)
			if kok != ok || (ok && k != (contactsync.Key{Kind: contactsync.KeyEmail, Value: tt.want})) {
				t.Errorf("EmailKey(%q) = %v, %v", tt.raw, k, kok)
			}
			if ok {
				if again, ok := contactsync.NormalizeEmail(got); again != got || !ok {
					t.Errorf("NormalizeEmail(%q) = %q, %v; want it unchanged", got, again, ok)
				}
			}
		})
	}
}

func TestKeysOf(t *testing.T) {
	email := func(v string) contactsync.Key { return contactsync.Key{Kind: contactsync.KeyEmail, Value: v} }
	phone := func(v string) contactsync.Key { return contactsync.Key{Kind: contactsync.KeyPhone, Value: v} }
	tests := []struct {
		name   string
		region string
		emails []string
		phones []string
		want   []contactsync.Key
	}{
		{"Empty", "US", nil, nil, nil},
		{"Dedup", "US",
			[]string{"Jane@Example.com", " jane@example.com", "JANE@EXAMPLE.COM"},
			[]string{"(415) 555-0134", "+1 415 555 0134", "415.555.0134"},
			[]contactsync.Key{email("jane@example.com"), phone("+14155550134")}},
		{"OrderKept", "GB",
			[]string{"b@example.com", "a@example.com"},
			[]string{"07911 123456", "020 7946 0958"},
			[]contactsync.Key{email("b@example.com"), email("a@example.com"), phone("+447911123456"), phone("+442079460958")}},
		{"SkipsNonKeys", "US",
			[]string{"", "Jane <jane@example.com>", "not an email"},
			[]string{"", "123", "call me", "+1 415 555 0134 x12"},
			[]contactsync.Key{phone("+14155550134")}},
		{"RegionDE", "DE", nil, []string{"030 901820"}, []contactsync.Key{phone("+4930901820")}},
		{"RegionUS", "US", nil, []string{"030 901820"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := contactsync.KeysOf(tt.region, tt.emails, tt.phones)
			if !slices.Equal(got, tt.want) {
				t.Errorf("KeysOf = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContactKeys(t *testing.T) {
	c := contactsync.Contact{Email: " Jane@Example.com", Phone: "(415) 555-0134", MobilePhone: "+1 415-555-0134"}
	want := []contactsync.Key{
		{Kind: contactsync.KeyEmail, Value: "jane@example.com"},
		{Kind: contactsync.KeyPhone, Value: "+14155550134"},
	}
	if got := c.Keys("US"); !slices.Equal(got, want) {
		t.Errorf("Keys = %v, want %v", got, want)
	}
}

func TestValidRegion(t *testing.T) {
	for _, r := range []string{"US", "GB", "DE", "FR", "IN", "BR", "AU", "JP"} {
		if !contactsync.ValidRegion(r) {
			t.Errorf("ValidRegion(%q) = false", r)
		}
	}
	for _, r := range []string{"", "XX", "USA", "us1", "001", "ZZ"} {
		if contactsync.ValidRegion(r) {
			t.Errorf("ValidRegion(%q) = true", r)
		}
	}
}
