package sockhttp_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// discard is a logger for tests that provoke errors on purpose.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func contextWithTimeout(t testing.TB, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}
