package sock_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Serve starts a reader goroutine per connection: none may outlive a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
