package scenarios

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
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
	seen  string
	stuck string        // the stack of the step that did not return, if one did
	pause time.Duration // the longest pause in progress that ended, to a millisecond

	work     chan func()
	done     chan outcome
	exited   chan struct{} // closed when the worker ends
	timer    *time.Timer
	id       string // the worker goroutine's
	baseline int    // goroutines running once the worker started
	created  uint64 // goroutines created in the process by then
}

// outcome is how a step ended on the worker: what it panicked with, if it
// did, and where.
type outcome struct {
	panicked any
	stack    []byte
}

// newWatchdog starts a worker whose steps may each go without progress for
// bound. If a step has hung before, seen is its stack; pause is the longest
// pause in progress that ended, in the Check so far.
func newWatchdog(bound time.Duration, seen string, pause time.Duration) *watchdog {
	w := &watchdog{bound: bound, seen: seen, pause: pause, work: make(chan func()), done: make(chan outcome, 1), exited: make(chan struct{})}
	go w.loop()
	w.id = (<-w.done).panicked.(string)
	w.baseline, w.created = runtime.NumGoroutine(), goroutinesCreated()
	return w
}

func (w *watchdog) loop() {
	defer close(w.exited)
	var first [64]byte // "goroutine N [running]:" is enough
	w.done <- outcome{panicked: goroutineID(string(first[:runtime.Stack(first[:], false)]))}
	for f := range w.work {
		w.done <- w.call(f)
	}
}

// call runs f and returns how it ended: rapid fails a test case by
// panicking, which exec re-panics on the test's goroutine; for any other
// panic, the stack shows where.
func (w *watchdog) call(f func()) (o outcome) {
	defer func() {
		if o.panicked = recover(); o.panicked != nil {
			o.stack = debug.Stack()
		}
	}()
	f()
	return outcome{}
}

// run runs f on the worker and waits for it as long as progress — a count
// that grows as the step's callbacks run — keeps moving: a step of many
// callbacks may take long, a callback may not. If f makes no progress for
// the bound, the worker is abandoned where it is and w.stuck is its stack.
// Pauses in progress that end — a callback that sleeps or waits a while
// and returns — are measured: w.pause is the longest.
//
// Once a step has hung in the same Check, shrinking replays it hundreds of
// times, each leaving goroutines stuck, so a hang is worth telling quickly
// and without listing every goroutine's stack, which gets slower and
// slower: the lifecycles after it take a pause of 2ms, or four times the
// longest pause that ended in the Check, for the same hang.
func (w *watchdog) run(f func(), progress func() uint64) outcome {
	const look = time.Millisecond
	w.work <- f
	quiet := w.bound
	if w.seen != "" {
		quiet = max(2*time.Millisecond, 4*w.pause)
	}
	if w.timer == nil {
		w.timer = time.NewTimer(look)
	} else {
		w.timer.Reset(look)
	}
	last, since := progress(), time.Now()
	for {
		select {
		case o := <-w.done:
			w.timer.Stop()
			w.pause = max(w.pause, time.Since(since).Truncate(look))
			return o
		case now := <-w.timer.C:
			switch p := progress(); {
			case p != last:
				w.pause = max(w.pause, now.Sub(since).Truncate(look))
				last, since = p, now
			case now.Sub(since) >= quiet:
				w.stuck = w.seen
				if w.stuck == "" {
					w.stuck = w.stack()
				}
				return outcome{}
			}
			w.timer.Reset(look)
		}
	}
}

// stop ends the worker once its lifecycle is over, and waits for it to end
// unless it is stuck: the next lifecycle counts goroutines.
func (w *watchdog) stop() {
	close(w.work)
	if w.stuck == "" {
		<-w.exited
	}
}

// goroutinesCreated returns how many goroutines the process has created.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
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
	if goroutinesCreated() == w.created {
		return nil // none started since the worker: the cheap case
	}
	deadline := time.Now().Add(grace)
	for wait := time.Millisecond; ; wait *= 2 {
		// No more goroutines than at the start, once those told to stop
		// have had a turn: none left, unless others ended meanwhile, which
		// the stacks tell.
		for range 100 {
			if runtime.NumGoroutine() <= w.baseline {
				break
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
	buf := stackBufs.Get().(*[]byte)
	defer stackBufs.Put(buf)
	for {
		n := runtime.Stack(*buf, true)
		if n < len(*buf) {
			return strings.Split(string((*buf)[:n]), "\n\n")
		}
		*buf = make([]byte, 2*len(*buf))
	}
}

// stackBufs keeps goroutines' buffers for the next calls: the leak check
// lists the stacks whenever goroutines were created.
var stackBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

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
