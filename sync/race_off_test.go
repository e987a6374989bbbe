//go:build !race

package sync_test

// raceEnabled: see race_on_test.go.
const raceEnabled = false
