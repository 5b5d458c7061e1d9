package sockt_test

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/sockkit/sockkit/sockt"
)

// fakeT is a sockt.TB that records failures instead of failing a test, so
// that tests can show that sockt fails when it should, and examples can
// print what a test would report.
type fakeT struct {
	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit() // as testing.T does: the failing goroutine stops here
}

func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

// run calls body with a fakeT on a goroutine of its own (Fatalf ends it, as
// it ends a test's), runs the cleanups, last first, and returns the
// failures.
func run(body func(t sockt.TB)) []string {
	f := &fakeT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			for i := len(f.cleanups) - 1; i >= 0; i-- {
				f.cleanups[i]()
			}
		}()
		body(f)
	}()
	<-done
	return f.failures
}
