package salesforcetest

import "testing"

func TestTo18(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"OK", "70130000001tcyI", "70130000001tcyIAAQ", false},
		{"Already18", "70130000001tcyIAAQ", "70130000001tcyIAAQ", false},
		{"CaseRepaired", "70130000001TCYiaaq", "70130000001tcyIAAQ", false},
		{"AllLower", "001000000000abc", "001000000000abcAAA", false},
		{"AllUpper", "ABCDEABCDEABCDE", "ABCDEABCDEABCDE555", false},
		{"ErrShort", "70130000001tcy", "", true},
		{"ErrBadChar", "70130000001tcy!", "", true},
		{"ErrBadChecksum", "70130000001tcyI!!!", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := To18(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("To18(%q) = %q, %v; want %q, err %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMakeParseID(t *testing.T) {
	for _, seq := range []uint32{1, 61, 62, 1000000, 1<<32 - 1} {
		id := makeID("003", seq)
		if len(id) != 18 || id[:3] != "003" {
			t.Fatalf("makeID(%d) = %q", seq, id)
		}
		if id[15:] != Checksum(id[:15]) {
			t.Fatalf("makeID(%d) = %q: bad checksum", seq, id)
		}
		prefix, got, err := parseID(id[:15])
		if err != nil || prefix != "003" || got != seq {
			t.Fatalf("parseID(%q) = %q, %d, %v; want 003, %d", id[:15], prefix, got, err, seq)
		}
	}
	if a, b := makeID("003", 61), makeID("003", 62); a >= b {
		t.Fatalf("ids do not sort in creation order: %s >= %s", a, b)
	}
}
