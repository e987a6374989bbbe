package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestMaskEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"jane.doe@example.com", "j***@e***.com"},
		{" J@X.co.uk ", "J***@X***.uk"},
		{"user@localhost", "u***@l***"},
		{"not-an-email", "***"},
		{"", ""},
		{"émile@bücher.de", "é***@b***.de"},
	}
	for _, tt := range tests {
		if got := MaskEmail(tt.in); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+14155550134", "+1******0134"},
		{"(415) 555-0134", "41****0134"},
		{"+44 20 7946 0958", "+4*******0958"},
		{"123", "***"},
		{"n/a", "***"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAuditorWritesMaskedJSONLine(t *testing.T) {
	var buf bytes.Buffer
	a := NewAuditor(slog.NewJSONHandler(&buf, nil))
	a.Record(context.Background(), AuditEvent{
		RunID: "r1", Workspace: "default", Direction: AuditPull,
		SalesforceID: "0035g00000AbCdEAAV", ContactID: 42,
		Decision: DecisionLinked, MatchedBy: "phone",
		Email: "jane.doe@example.com", Phone: "+14155550134",
	})
	line := buf.String()
	for _, raw := range []string{"jane.doe", "example", "4155550134"} {
		if strings.Contains(line, raw) {
			t.Errorf("audit line leaks %q: %s", raw, line)
		}
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("audit line is not JSON: %v: %s", err, line)
	}
	want := map[string]any{
		"msg": "audit", "run_id": "r1", "workspace": "default", "direction": "pull",
		"salesforce_id": "0035g00000AbCdEAAV", "contact_id": float64(42),
		"decision": "linked", "matched_by": "phone", "reason": "",
		"email": "j***@e***.com", "phone": "+1******0134",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["time"]; !ok {
		t.Error("audit line has no time")
	}
}
