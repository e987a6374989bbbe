package sync

import "testing"

func TestMergeField(t *testing.T) {
	// Values: base "b"; local and remote each either unchanged ("b"), or
	// changed to "x" or "y". Every combination under every policy, for a
	// field that can and cannot be pushed.
	type want struct {
		value, base string
		outcome     MergeOutcome
	}
	tests := []struct {
		name          string
		local, remote string
		sfWins        want
		localWins     want
	}{
		{"Unchanged", "b", "b", want{"b", "b", MergeUnchanged}, want{"b", "b", MergeUnchanged}},
		{"LocalOnly", "x", "b", want{"x", "b", MergeUnchanged}, want{"x", "b", MergeUnchanged}},
		{"RemoteOnly", "b", "x", want{"x", "x", MergeTakeRemote}, want{"x", "x", MergeTakeRemote}},
		{"BothSame", "x", "x", want{"x", "x", MergeAgree}, want{"x", "x", MergeAgree}},
		{"BothDiffer", "x", "y", want{"y", "y", MergeConflictRemote}, want{"x", "y", MergeConflictLocal}},
		{"LocalCleared", "", "b", want{"", "b", MergeUnchanged}, want{"", "b", MergeUnchanged}},
		{"RemoteCleared", "b", "", want{"", "", MergeTakeRemote}, want{"", "", MergeTakeRemote}},
		{"LocalClearedRemoteChanged", "", "y", want{"y", "y", MergeConflictRemote}, want{"", "y", MergeConflictLocal}},
	}
	for _, tt := range tests {
		for _, pol := range []ConflictPolicy{SalesforceWins, LocalWins} {
			for _, canPush := range []bool{true, false} {
				w := tt.sfWins
				if pol == LocalWins && canPush {
					w = tt.localWins
				}
				got := MergeField("b", tt.local, tt.remote, pol, canPush)
				if got.Value != w.value || got.Base != w.base || got.Outcome != w.outcome {
					t.Errorf("%s/%s/push=%v: MergeField(b, %q, %q) = %+v, want %+v",
						tt.name, pol, canPush, tt.local, tt.remote, got, w)
				}
			}
		}
	}
}

func TestMergeFieldEmptyBase(t *testing.T) {
	// Linking by match merges against an empty base.
	tests := []struct {
		name, local, remote, want string
		pol                       ConflictPolicy
	}{
		{"FillLocal", "", "r", "r", SalesforceWins},
		{"KeepLocalWhenRemoteEmpty", "l", "", "l", SalesforceWins},
		{"SalesforceWins", "l", "r", "r", SalesforceWins},
		{"LocalWins", "l", "r", "l", LocalWins},
	}
	for _, tt := range tests {
		if got := MergeField("", tt.local, tt.remote, tt.pol, true); got.Value != tt.want {
			t.Errorf("%s: got %+v, want value %q", tt.name, got, tt.want)
		}
	}
}

func TestMergeFieldPendingPush(t *testing.T) {
	// Base "b"; a push of "p" (and earlier "q") was sent but never
	// recorded. Remote "p" or "q" is our own echo, whatever the local value
	// became since; any other remote value is a Salesforce change.
	pending := []string{"q", "p"}
	tests := []struct {
		name          string
		local, remote string
		want          FieldMerge
	}{
		{"EchoLocalEditedAgain", "n", "p", FieldMerge{"n", "p", MergeUnchanged}},
		{"EchoOlderPendingValue", "n", "q", FieldMerge{"n", "q", MergeUnchanged}},
		{"EchoLocalIsPushed", "p", "p", FieldMerge{"p", "p", MergeUnchanged}},
		{"EchoLocalRevertedToBase", "b", "p", FieldMerge{"b", "p", MergeUnchanged}},
		{"NotSentYetRemoteUnchanged", "n", "b", FieldMerge{"n", "b", MergeUnchanged}},
		{"SalesforceChangedIt", "n", "s", FieldMerge{"s", "s", MergeConflictRemote}},
		{"SalesforceChangedItLocalUnchanged", "b", "s", FieldMerge{"s", "s", MergeTakeRemote}},
	}
	for _, tt := range tests {
		base := EchoBase("b", tt.remote, pending)
		if got := MergeField(base, tt.local, tt.remote, SalesforceWins, true); got != tt.want {
			t.Errorf("%s: MergeField(EchoBase(b, %q, %v), %q, %q) = %+v, want %+v", tt.name, tt.remote, pending, tt.local, tt.remote, got, tt.want)
		}
	}
	if got := EchoBase("b", "p", nil); got != "b" {
		t.Errorf("EchoBase without pending values = %q, want the base", got)
	}
}

func TestAddPending(t *testing.T) {
	p := AddPending(nil, map[string]string{"Title": "a"})
	p = AddPending(p, map[string]string{"Title": "b", "Description": "d"})
	p = AddPending(p, map[string]string{"Title": "a"})
	for range 5 {
		p = AddPending(p, map[string]string{"Description": "d"})
	}
	if got := p["Title"]; len(got) != 2 || got[0] != "b" || got[1] != "a" {
		t.Errorf("Title pending = %v, want [b a]", got)
	}
	if got := p["Description"]; len(got) != 1 {
		t.Errorf("Description pending = %v, want one value", got)
	}
	for i := range 10 {
		p = AddPending(p, map[string]string{"Title": string(rune('c' + i))})
	}
	if got := p["Title"]; len(got) != maxPendingValues || got[len(got)-1] != "l" {
		t.Errorf("Title pending = %v, want the latest %d", got, maxPendingValues)
	}
}
