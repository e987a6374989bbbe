package main

import (
	"bytes"
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/contactsync/contactsync/config"
)

// execMain runs Main with args and the given environment (nothing else from
// the process environment) and returns what it printed.
func execMain(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{
		Args:      args,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Stdin:     strings.NewReader(""),
		Stdout:    &out,
		Stderr:    &errOut,
	}
	err = m.Run(context.Background())
	if cerr := m.Close(); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	return out.String(), errOut.String(), err
}

func TestHelp_ListsEveryCommand(t *testing.T) {
	out, _, err := execMain(t, nil, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"serve", "sync", "migrate", "connect", "doctor", "demo", "version", "help"} {
		if !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("help does not list %q:\n%s", name, out)
		}
	}
}

func TestHelp_Config(t *testing.T) {
	out, _, err := execMain(t, nil, "help", "config")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range config.Vars {
		if !strings.Contains(out, v.Name) {
			t.Errorf("help config does not list %s", v.Name)
		}
	}
}

func TestHelp_Command(t *testing.T) {
	out, _, err := execMain(t, nil, "help", "migrate")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"usage: contactsync migrate", "up|down|status", "-config"} {
		if !strings.Contains(out, want) {
			t.Errorf("help migrate lacks %q:\n%s", want, out)
		}
	}
}

func TestRun_UsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"NoCommand", nil, "no command given"},
		{"UnknownCommand", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"HelpUnknown", []string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{"MigrateNoAction", []string{"migrate"}, "migrate wants one of up, down or status"},
		{"MigrateBadAction", []string{"migrate", "sideways"}, `unknown action "sideways"`},
		{"MigrateBadFlag", []string{"migrate", "--nope", "up"}, "flag provided but not defined: -nope"},
		{"VersionArgs", []string{"version", "extra"}, "version takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := execMain(t, nil, tt.args...)
			var uerr *usageError
			if !errors.As(err, &uerr) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.want)
			}
			var buf bytes.Buffer
			if code := exitCode(&buf, err); code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out, _, err := execMain(t, nil, "version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "contactsync ") || !strings.HasSuffix(out, "\n") {
		t.Errorf("version printed %q", out)
	}
}

func TestVersionString(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Version: "v0.3.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name    string
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"Ldflags", "v1.2.3", bi, "contactsync v1.2.3 (0123456789ab-dirty, go1.26.8)"},
		{"ModuleVersion", "", bi, "contactsync v0.3.0 (0123456789ab-dirty, go1.26.8)"},
		{"Devel", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "contactsync devel (go1.26.8)"},
		{"NoBuildInfo", "", nil, "contactsync devel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionString(tt.ldflags, tt.bi); got != tt.want {
				t.Errorf("versionString = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRun_BadConfig(t *testing.T) {
	_, _, err := execMain(t, map[string]string{
		config.EnvCacheTTL:  "abc",
		config.EnvLogFormat: "xml",
	}, "migrate", "status")
	if err == nil {
		t.Fatal("migrate ran with a bad configuration")
	}
	for _, want := range []string{"invalid configuration", `CONTACTSYNC_CACHE_TTL: "abc" is not a duration`, "CONTACTSYNC_LOG_FORMAT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var buf bytes.Buffer
	if code := exitCode(&buf, err); code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
}
