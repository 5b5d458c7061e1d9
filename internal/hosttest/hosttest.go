// Package hosttest runs a package's tests again on the gws host, for the
// tests of sockhttp and sockt: a test binary reruns itself in a child whose
// environment says gws, and its helpers serve on that host there.
package hosttest

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// env is what the child's environment sets.
const env = "SOCKKIT_TEST_HOST"

// OnGws reports whether the tests run on the gws host: in RunOnGws's
// child.
func OnGws() bool { return os.Getenv(env) == "gws" }

// RunOnGws runs every test of the test binary again, on gws, in a child
// process, and fails t if one fails there. The child times out a tenth
// before the parent would, so that a test hung on gws is named in its
// output; it has the parent's -v, and with -v its output is logged, to
// show what ran and what skipped on gws. In the child it skips.
func RunOnGws(t *testing.T) {
	t.Helper()
	if OnGws() {
		t.Skip("the child's own run")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	args := []string{"-test.run", ".", "-test.count", "1"}
	if deadline, ok := t.Deadline(); ok {
		args = append(args, "-test.timeout", (time.Until(deadline) * 9 / 10).String())
	}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), env+"=gws")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tests on gws: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("the tests on gws:\n%s", out)
	}
}
