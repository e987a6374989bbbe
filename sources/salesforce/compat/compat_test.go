// Package compat runs off-the-shelf Salesforce client libraries against the
// simulator, unchanged, to show that it answers in Salesforce's shapes.
package compat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/contactsync/contactsync/sources/salesforce/salesforcetest"
)

// requireTool returns the path of a command, skipping the test loudly when
// it is missing, except under CI, where it fails.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI must run the off-the-shelf client tests", name)
		}
		t.Skipf("SKIPPING off-the-shelf client test: %s is not installed", name)
	}
	return p
}

// npmInstall installs the pinned packages of package-lock.json once.
func npmInstall(t *testing.T) {
	t.Helper()
	npm := requireTool(t, "npm")
	if _, err := os.Stat(filepath.Join("node_modules", "jsforce", "package.json")); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
		t.Skipf("SKIPPING off-the-shelf client test: npm ci failed: %v\n%s", err, out)
	}
}

type jsforceReport struct {
	Refreshes      int    `json:"refreshes"`
	Username       string `json:"username"`
	OrganizationID string `json:"organizationId"`
	TotalSize      int    `json:"totalSize"`
	Fetched        int    `json:"fetched"`
	Pages          int    `json:"pages"`
	Sorted         bool   `json:"sorted"`
	Created        struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
	} `json:"created"`
	Updated struct {
		Success bool `json:"success"`
	} `json:"updated"`
	RetrievedTitle string `json:"retrievedTitle"`
	Many           []struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
		Errors  []struct {
			StatusCode string   `json:"statusCode"`
			Fields     []string `json:"fields"`
		} `json:"errors"`
	} `json:"many"`
	Destroyed struct {
		Success bool `json:"success"`
	} `json:"destroyed"`
	AfterDelete string `json:"afterDelete"`
	DailyMax    int    `json:"dailyMax"`
}

// TestJSForce logs in with the refresh-token flow, pages through a query,
// creates, updates, reads and deletes records with jsforce.
func TestJSForce(t *testing.T) {
	node := requireTool(t, "node")
	npmInstall(t)

	const contacts = 1050
	sim := salesforcetest.NewServer(salesforcetest.Options{Contacts: contacts, Seed: 11, APILimit: 50000})
	defer sim.Close()
	o := sim.Options()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "jsforce.mjs")
	cmd.Env = append(os.Environ(),
		"SF_LOGIN_URL="+sim.LoginURL,
		"SF_INSTANCE_URL="+sim.InstanceURL,
		"SF_CLIENT_ID="+o.ClientID,
		"SF_CLIENT_SECRET="+o.ClientSecret,
		"SF_REFRESH_TOKEN="+o.RefreshToken,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node jsforce.mjs: %v\n%s", err, stderr.String())
	}
	var r jsforceReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("jsforce output %q: %v", stdout.String(), err)
	}

	if r.Refreshes != 1 || sim.Stats().TokenRequests != 1 {
		t.Errorf("refreshes: jsforce %d, simulator token requests %d; want 1 each", r.Refreshes, sim.Stats().TokenRequests)
	}
	if r.Username != o.Username || r.OrganizationID != sim.OrgID() {
		t.Errorf("identity: %q in %q, want %q in %q", r.Username, r.OrganizationID, o.Username, sim.OrgID())
	}
	if r.TotalSize == 0 || r.Fetched != r.TotalSize || !r.Sorted {
		t.Errorf("query: fetched %d of totalSize %d (sorted %v)", r.Fetched, r.TotalSize, r.Sorted)
	}
	if want := (r.TotalSize + 199) / 200; r.Pages != want {
		t.Errorf("query: %d pages for %d records at batchSize 200, want %d", r.Pages, r.TotalSize, want)
	}
	if !r.Created.Success || len(r.Created.ID) != 18 || !r.Updated.Success || r.RetrievedTitle != "Updated by jsforce" {
		t.Errorf("create/update/retrieve: %+v %+v %q", r.Created, r.Updated, r.RetrievedTitle)
	}
	if len(r.Many) != 3 || !r.Many[0].Success || r.Many[1].Success || !r.Many[2].Success ||
		len(r.Many[1].Errors) == 0 || r.Many[1].Errors[0].StatusCode != "INVALID_EMAIL_ADDRESS" {
		t.Errorf("collections create: %+v", r.Many)
	}
	for _, m := range []int{0, 2} {
		if len(r.Many) == 3 {
			if _, ok := sim.Record("Contact", r.Many[m].ID); !ok {
				t.Errorf("collections record %d (%s) not in the org", m, r.Many[m].ID)
			}
		}
	}
	if !r.Destroyed.Success || (r.AfterDelete != "NOT_FOUND" && r.AfterDelete != "ENTITY_IS_DELETED") {
		t.Errorf("delete: %+v, then retrieve said %q", r.Destroyed, r.AfterDelete)
	}
	if rec, ok := sim.Record("Contact", r.Created.ID); ok && rec["IsDeleted"] != true {
		t.Errorf("deleted record still live in the org: %v", rec)
	}
	if r.DailyMax != 50000 {
		t.Errorf("limits: DailyApiRequests.Max = %d, want 50000", r.DailyMax)
	}
	t.Logf("jsforce: refreshed %d time(s), paged %d records in %d pages, created/updated/deleted %s",
		r.Refreshes, r.Fetched, r.Pages, r.Created.ID)
}
