package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
// Without it, the module version from the build info is used.
var version string

func runVersion(_ context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version takes no arguments")
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(m.Stdout, versionString(version, bi))
	return nil
}

// versionString describes the build: "contactsync v1.2.3 (abc1234-dirty,
// go1.26.8)". It prefers the ldflags version, then the module version, then
// "devel".
func versionString(ldflags string, bi *debug.BuildInfo) string {
	v := ldflags
	var details []string
	if bi != nil {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if modified == "true" {
				rev += "-dirty"
			}
			details = append(details, rev)
		}
		details = append(details, bi.GoVersion)
	}
	if v == "" {
		v = "devel"
	}
	s := "contactsync " + v
	if len(details) > 0 {
		s += " (" + strings.Join(details, ", ") + ")"
	}
	return s
}
