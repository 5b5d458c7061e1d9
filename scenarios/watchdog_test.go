package scenarios

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The watchdog waits as long as the step makes progress, and no longer
// than its bound without.
func TestWatchdogWaitsForProgress(t *testing.T) {
	var progress atomic.Uint64
	w := newWatchdog(100*time.Millisecond, "", 0)
	defer w.stop()

	long := func() { // 300ms, progress every 5ms
		for range 60 {
			time.Sleep(5 * time.Millisecond)
			progress.Add(1)
		}
	}
	if o := w.run(long, progress.Load); w.stuck != "" || o.panicked != nil {
		t.Fatalf("a long step with progress was taken for a hang: %q", w.stuck)
	}

	release := make(chan struct{})
	defer close(release)
	start := time.Now()
	w.run(func() { <-release }, progress.Load)
	if took := time.Since(start); w.stuck == "" || took < 100*time.Millisecond || took > time.Second {
		t.Fatalf("a step with no progress: stuck %q after %v, want its stack after the bound", w.stuck, took)
	}
	if want := "watchdog_test.go"; !strings.Contains(w.stuck, want) {
		t.Errorf("the stack does not show the stuck step (%s):\n%s", want, w.stuck)
	}
}
