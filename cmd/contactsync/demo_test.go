package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	contactsync "github.com/contactsync/contactsync/sync"
)

// TestDemo runs the demo for a few seconds through Main and checks what it
// leaves behind: auto-created, tagged contacts in its database, audit lines
// and run summaries on stdout, and a local edit pushed to the org.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	m := &Main{
		Args:      []string{"demo", "--duration", "5s", "--addr", "127.0.0.1:0", "--contacts", "60", "--schedule", "@every 1s", "--dir", dir},
		LookupEnv: func(string) (string, bool) { return "", false },
		Stdin:     strings.NewReader(""), Stdout: stdout, Stderr: stderr,
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	audit, sums := splitOutput(t, out)
	if len(audit) == 0 || len(sums) < 2 {
		t.Fatalf("demo wrote %d audit lines and %d run summaries, want some and at least 2:\n%s", len(audit), len(sums), out)
	}
	if sums[0].Created == 0 || sums[0].Linked == 0 {
		t.Errorf("the backfill pass created %d and linked %d, want both > 0", sums[0].Created, sums[0].Linked)
	}
	for _, want := range []string{"admin token", "/admin/", "pushed: contact #", "demo: stopped."} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}

	st := openTestStore(t, filepath.Join(dir, "demo.db"))
	tagged, err := st.ListContacts(t.Context(), contactsync.DefaultWorkspace, contactsync.ContactFilter{Tag: contactsync.TagAutoCreatedSalesforce, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(tagged) < sums[0].Created {
		t.Fatalf("%d tagged contacts in the demo database, want at least the %d the backfill created", len(tagged), sums[0].Created)
	}
}
