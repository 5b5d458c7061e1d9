package registry_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The registry starts no goroutine of its own: none may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
