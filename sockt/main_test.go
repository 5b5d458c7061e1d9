package sockt_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Loopback connections start goroutines: none may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
