package natsregistry_test

import (
	"testing"

	"go.uber.org/goleak"
)

// A closed Cluster leaves no goroutine behind, nor does the NATS server a
// test started (the watchers of a node closed while cut off end within
// nats.go's own timeout, before the tests do).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
