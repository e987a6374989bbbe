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
