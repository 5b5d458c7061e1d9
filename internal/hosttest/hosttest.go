// Package hosttest runs a package's tests again on the gws host, for the
// tests of sockhttp and sockt: a test binary reruns itself in a child whose
// environment says gws, and its helpers serve on that host there.
package hosttest

import (
	"os"
	"os/exec"
	"testing"
)

// env is what the child's environment sets.
const env = "SOCKKIT_TEST_HOST"

// OnGws reports whether the tests run on the gws host: in RunOnGws's
// child.
func OnGws() bool { return os.Getenv(env) == "gws" }

// RunOnGws runs every test of the test binary again, on gws, in a child
// process, and fails t if one fails there. In the child it skips.
func RunOnGws(t *testing.T) {
	t.Helper()
	if OnGws() {
		t.Skip("the child's own run")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	cmd := exec.Command(os.Args[0], "-test.run", ".", "-test.count", "1")
	cmd.Env = append(os.Environ(), env+"=gws")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the tests on gws: %v\n%s", err, out)
	}
}
