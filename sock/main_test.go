package sock_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Serve starts goroutines for timers, mail and shutdown: none may outlive
// the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
