package store_test

import (
	"fmt"
	"os"
)

// childRoleEnv selects what a re-executed test binary does (see TestMain).
const childRoleEnv = "CONTACTSYNC_STORE_TEST_CHILD"

func runChild(role string) int {
	fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
	return 2
}
