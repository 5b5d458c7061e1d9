package sockt

import (
	"fmt"
	"runtime"
	"sync"
)

// fakeT is a TB that records failures instead of failing a test.
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

// Failures runs test much as the testing package runs a test function, but
// with a TB that records failures instead of failing: on a goroutine of its
// own, which Fatalf ends, then the cleanups, last first (a Fatalf in one
// ends the rest; a panic is not recovered). It returns the failure
// messages. It is for testing helpers built on sockt — does a check fail when
// it should, and say what? — and for examples, which have no *testing.T.
func Failures(test func(t TB)) []string {
	f := &fakeT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			for i := len(f.cleanups) - 1; i >= 0; i-- {
				f.cleanups[i]()
			}
		}()
		test(f)
	}()
	<-done
	return f.failures
}
