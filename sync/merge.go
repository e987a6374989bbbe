package sync

// MergeOutcome says how a three-way merge of one field ended.
type MergeOutcome int

// The merge outcomes.
const (
	// MergeUnchanged: Salesforce did not change the field since the base
	// (this includes our own pushed values coming back: the echo). The
	// local value stays.
	MergeUnchanged MergeOutcome = iota
	// MergeTakeRemote: only Salesforce changed the field; take its value.
	MergeTakeRemote
	// MergeAgree: both sides changed the field to the same value.
	MergeAgree
	// MergeConflictRemote: both sides changed the field differently and
	// Salesforce's value won.
	MergeConflictRemote
	// MergeConflictLocal: both sides changed the field differently and the
	// local value won; it must be pushed.
	MergeConflictLocal
)

// Conflict reports whether the outcome is a conflict.
func (o MergeOutcome) Conflict() bool {
	return o == MergeConflictRemote || o == MergeConflictLocal
}

// FieldMerge is the result of merging one field.
type FieldMerge struct {
	// Value is the field's new local value.
	Value string
	// Base is the field's new base: the value both sides agree on once the
	// merge is applied (and, for MergeConflictLocal, pushed).
	Base    string
	Outcome MergeOutcome
}

// MergeField merges one field from its base (the value both sides last
// agreed on), its local value and Salesforce's value (remote). When both
// sides changed it differently, policy decides; canPush says whether the
// field flows to Salesforce at all: a local value that can never be pushed
// cannot win, so Salesforce's value is taken whatever the policy.
//
// The new base is always the remote value: it is what Salesforce holds now,
// so a local value that differs from it is, for the pusher, a local change
// still to be pushed.
func MergeField(base, local, remote string, policy ConflictPolicy, canPush bool) FieldMerge {
	switch {
	case remote == base:
		// Salesforce did not change it (or echoed our own write).
		return FieldMerge{Value: local, Base: base, Outcome: MergeUnchanged}
	case local == base:
		return FieldMerge{Value: remote, Base: remote, Outcome: MergeTakeRemote}
	case local == remote:
		return FieldMerge{Value: remote, Base: remote, Outcome: MergeAgree}
	case policy == LocalWins && canPush:
		return FieldMerge{Value: local, Base: remote, Outcome: MergeConflictLocal}
	default:
		return FieldMerge{Value: remote, Base: remote, Outcome: MergeConflictRemote}
	}
}

// EchoBase returns the base to merge a field against, given the values a
// push sent for it whose success was never recorded (Link.Pending): when
// Salesforce's value is one of them, it is our own write coming back, so it
// is the value both sides agreed on, whatever the stale base says. Without
// this, an edit made after such a push would look like a conflict with
// Salesforce, and lose under the default policy.
func EchoBase(base, remote string, pending []string) string {
	for _, v := range pending {
		if v == remote {
			return remote
		}
	}
	return base
}
