package sockt_test

import (
	"os"
	"os/exec"
	"testing"

	"go.uber.org/goleak"
)

// Loopback connections start goroutines: none may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The tests of the loopback mode again, on the gws host, in a child of
// this test binary with SOCKT_TEST_HOST=gws: sockt's loopback mode is the
// same on both hosts.
func TestSuiteOnGws(t *testing.T) {
	if os.Getenv("SOCKT_TEST_HOST") != "" {
		t.Skip("the child's own run")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	cmd := exec.Command(os.Args[0], "-test.run", ".", "-test.count", "1")
	cmd.Env = append(os.Environ(), "SOCKT_TEST_HOST=gws")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the suite on gws: %v\n%s", err, out)
	}
}
