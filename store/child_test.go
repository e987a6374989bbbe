package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contactsync/contactsync/store"
	contactsync "github.com/contactsync/contactsync/sync"
)

// The multi-process tests re-execute the test binary; TestMain hands such a
// child to runChild, which does one thing and prints its outcome.
const (
	childRoleEnv  = "CONTACTSYNC_STORE_TEST_CHILD"
	childURLEnv   = "CONTACTSYNC_STORE_TEST_URL"
	childStartEnv = "CONTACTSYNC_STORE_TEST_START" // unix nanoseconds to wait for
	childNameEnv  = "CONTACTSYNC_STORE_TEST_NAME"
)

func runChild(role string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := store.Open(ctx, os.Getenv(childURLEnv), store.Options{})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer s.Close()
	if ns, err := strconv.ParseInt(os.Getenv(childStartEnv), 10, 64); err == nil {
		time.Sleep(time.Until(time.Unix(0, ns)))
	}
	switch role {
	case "migrate":
		if err := s.MigrateUp(ctx); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println("migrated")
	case "lease":
		// Try every workspace once; print the ones acquired.
		var held []string
		for _, ws := range strings.Split(os.Getenv("CONTACTSYNC_STORE_TEST_WORKSPACES"), ",") {
			_, err := s.AcquireLease(ctx, ws, os.Getenv(childNameEnv), time.Minute)
			switch {
			case err == nil:
				held = append(held, ws)
			case !errors.Is(err, contactsync.ErrLeaseHeld):
				fmt.Println("error:", err)
				return 1
			}
		}
		fmt.Println("held:" + strings.Join(held, ","))
	default:
		fmt.Printf("error: unknown child role %q\n", role)
		return 2
	}
	return 0
}

// startChildren runs n children of the test binary with role and env, all
// released at the same instant, and returns their outputs.
func startChildren(t *testing.T, n int, role string, env func(i int) []string) []string {
	t.Helper()
	start := time.Now().Add(1500 * time.Millisecond).UnixNano()
	cmds := make([]*exec.Cmd, n)
	outs := make([]*strings.Builder, n)
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childRoleEnv+"="+role, childStartEnv+"="+strconv.FormatInt(start, 10))
		cmd.Env = append(cmd.Env, env(i)...)
		outs[i] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	res := make([]string, n)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v: %s", i, err, outs[i])
		}
		res[i] = strings.TrimSpace(outs[i].String())
	}
	return res
}
