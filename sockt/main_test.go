package sockt_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/sockkit/sockkit/internal/hosttest"
)

// Loopback connections start goroutines: none may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The tests of the loopback mode again, on the gws host, in a child of
// this test binary: sockt's loopback mode is the same on both hosts.
func TestSuiteOnGws(t *testing.T) { hosttest.RunOnGws(t) }
