package salesforcetest

import (
	"net/http"
	"strings"
	"testing"
)

func TestTouchEditsDistinctLiveContacts(t *testing.T) {
	s := NewServer(Options{Contacts: 50, Seed: 3})
	defer s.Close()
	stamps := map[string]any{}
	for _, r := range s.Records("Contact") {
		stamps[r["Id"].(string)] = r["SystemModstamp"]
	}
	ids := s.Touch(20)
	if len(ids) != 20 {
		t.Fatalf("touched %d, want 20", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s touched twice", id)
		}
		seen[id] = true
		r, ok := s.Record("Contact", id)
		if !ok || !strings.HasPrefix(r["Title"].(string), "Touched ") {
			t.Fatalf("%s after touch: %v", id, r)
		}
		if r["SystemModstamp"] == stamps[id] {
			t.Fatalf("%s kept its SystemModstamp %v", id, r["SystemModstamp"])
		}
	}
	// Asking for more than the org holds edits at most every contact once
	// (random picks give up after a bounded number of tries).
	if n := len(s.Touch(100)); n > 50 || n < 40 {
		t.Fatalf("touching more than the org holds edited %d, want 40 to 50", n)
	}

	resp, err := http.Post(s.InstanceURL+"/__sim/touch", "application/json", strings.NewReader(`{"count": 3}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /__sim/touch: %d", resp.StatusCode)
	}
}
