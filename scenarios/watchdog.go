package scenarios

import (
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// watchdog runs the steps of one lifecycle on a goroutine of its own, so
// that a callback that does not return — blocked on a lock, a channel, a
// loop — is reported with its stack instead of hanging the test, and so
// that the goroutines the handler starts can be told from everyone else's:
// their creator is this goroutine.
type watchdog struct {
	bound time.Duration
	// seen is the stack of a step that hung before in the same Check, if
	// one did: the lifecycles shrinking it look again sooner.
	seen     string
	work     chan func()
	done     chan any      // what the step panicked with, or nil
	exited   chan struct{} // closed when the worker ends
	timer    *time.Timer
	id       string // the worker goroutine's
	baseline int    // goroutines running once the worker started
}

// newWatchdog starts a worker whose steps may each take bound. If a step
// has hung before, seen is its stack.
func newWatchdog(bound time.Duration, seen string) *watchdog {
	w := &watchdog{bound: bound, seen: seen, work: make(chan func()), done: make(chan any, 1), exited: make(chan struct{})}
	go w.loop()
	w.id = (<-w.done).(string)
	w.baseline = runtime.NumGoroutine()
	return w
}

func (w *watchdog) loop() {
	defer close(w.exited)
	var first [64]byte // "goroutine N [running]:" is enough
	w.done <- goroutineID(string(first[:runtime.Stack(first[:], false)]))
	for f := range w.work {
		w.done <- w.call(f)
	}
}

// call runs f and returns what it panicked with: rapid fails a test case by
// panicking, which run re-panics on the test's goroutine.
func (w *watchdog) call(f func()) (panicked any) {
	defer func() { panicked = recover() }()
	f()
	return nil
}

// run runs f on the worker and returns whether it returned in time; if it
// did not, the worker is abandoned where it is, and stack is what it was
// doing.
func (w *watchdog) run(f func()) (stack string, ok bool) {
	w.work <- f
	if w.seen != "" {
		return w.watchClosely()
	}
	if w.timer == nil {
		w.timer = time.NewTimer(w.bound)
	} else {
		w.timer.Reset(w.bound)
	}
	select {
	case p := <-w.done:
		w.timer.Stop()
		return w.returned(p)
	case <-w.timer.C:
		return w.stack(), false
	}
}

// returned re-panics what the step panicked with, on the test's goroutine.
func (w *watchdog) returned(panicked any) (string, bool) {
	if panicked != nil {
		panic(panicked)
	}
	return "", true
}

// watchClosely replaces run's wait once a step has hung in the same Check.
// Shrinking replays such a step hundreds of times, each leaving goroutines
// stuck, so a hang is worth telling quickly, and without listing every
// goroutine's stack, which gets slower and slower: the step has hung as
// seen before if, at two looks 500µs apart, the scheduler counts no
// goroutine but this one running or ready to run — the worker is blocked,
// and nothing is about to wake it, short of a timer or the network — or if
// it has not returned within a hundredth of the bound.
func (w *watchdog) watchClosely() (string, bool) {
	const look = 500 * time.Microsecond
	if w.timer == nil {
		w.timer = time.NewTimer(look)
	} else {
		w.timer.Reset(look)
	}
	start, idle := time.Now(), 0
	for {
		select {
		case p := <-w.done:
			w.timer.Stop()
			return w.returned(p)
		case <-w.timer.C:
		}
		if othersRunning() == 0 {
			idle++
		} else {
			idle = 0
		}
		if idle == 2 || time.Since(start) >= w.bound/100 {
			return w.seen, false
		}
		w.timer.Reset(look)
	}
}

// othersRunning returns how many goroutines, besides the caller, are
// running or ready to.
func othersRunning() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines/running:goroutines"}, {Name: "/sched/goroutines/runnable:goroutines"}}
	metrics.Read(s)
	return max(s[0].Value.Uint64()+s[1].Value.Uint64(), 1) - 1
}

// stop ends the worker once its lifecycle is over, and waits for it to end
// unless it is stuck: the next lifecycle counts goroutines.
func (w *watchdog) stop(stuck bool) {
	close(w.work)
	if !stuck {
		<-w.exited
	}
}

// stack returns the stack of the worker, stuck in a step.
func (w *watchdog) stack() string {
	for _, g := range goroutines() {
		if goroutineID(g) == w.id {
			return g
		}
	}
	return "(the stuck goroutine's stack was not found)"
}

// leaks returns the stacks of the goroutines the steps started that are
// still running, waiting up to grace for them to end: a handler's goroutine
// may take a moment to see that Terminate told it to stop.
func (w *watchdog) leaks(grace time.Duration) []string {
	deadline := time.Now().Add(grace)
	for wait := time.Millisecond; ; wait *= 2 {
		// No more goroutines than at the start: none left, the cheap case,
		// often once those told to stop have had a turn.
		for range 100 {
			if runtime.NumGoroutine() <= w.baseline {
				return nil
			}
			runtime.Gosched()
		}
		left := createdBy(goroutines(), w.id)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(min(wait, time.Until(deadline)))
	}
}

// goroutines returns the stack of every goroutine, one string each.
func goroutines() []string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutineID returns N from a stack's first line, "goroutine N [state]:".
func goroutineID(stack string) string {
	rest, _ := strings.CutPrefix(stack, "goroutine ")
	id, _, _ := strings.Cut(rest, " ")
	return id
}

// createdBy returns the goroutines among stacks that the goroutine id
// started, or that a goroutine it started (and so on) started.
func createdBy(stacks []string, id string) []string {
	family := map[string]bool{id: true}
	var found []string
	for grew := true; grew; {
		grew = false
		for _, g := range stacks {
			gid := goroutineID(g)
			if family[gid] {
				continue
			}
			if parent := creator(g); family[parent] {
				family[gid], grew = true, true
				found = append(found, g)
			}
		}
	}
	return found
}

// creator returns the ID of the goroutine that started the one whose stack
// this is ("created by F in goroutine N"), or "".
func creator(stack string) string {
	i := strings.LastIndex(stack, "\ncreated by ")
	if i < 0 {
		return ""
	}
	line, _, _ := strings.Cut(stack[i+1:], "\n")
	_, n, ok := strings.Cut(line, " in goroutine ")
	if !ok {
		return ""
	}
	if _, err := strconv.ParseUint(n, 10, 64); err != nil {
		return ""
	}
	return n
}
