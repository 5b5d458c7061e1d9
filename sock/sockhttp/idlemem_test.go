package sockhttp_test

import "testing"

// The budget TestIdleConnMemoryBudget holds each host to: an idle
// connection costs at most idleBudget bytes more than one of the raw echo
// loop of the library under it, and one goroutine.
const (
	idleBudget = 2 << 10

	// idleTolerance absorbs measurement noise: the heap's 8 KiB pages and
	// the stacks' 32 KiB spans, counted whole, move a figure by up to 8 and
	// 33 bytes per connection over idleConns connections; and the few
	// connections whose stack grew to 8 KiB on a rare deep path of the
	// runtime (a GC assist, a sweep, a new span taken while allocating)
	// under their deepest call, 1 to 5 in 100 of them, add 40 to 200 bytes.
	// Over 10 runs the difference spread by 240 bytes at most. A real
	// regression makes most connections' stacks 8 KiB: 4 KiB more each.
	idleTolerance = 256

	// idleGoroutineTolerance allows for a goroutine or two that happen to
	// run when the count is read (net/http's, a timer's), 1/idleConns each.
	idleGoroutineTolerance = 0.01

	// idleConns is how many connections each measurement opens: with 1000,
	// the figures per connection are BenchmarkIdleConnMemory's (2000) to
	// within 1%, and the test takes 3 seconds; with 400, fixed costs weigh
	// more per connection, and the difference varied three times as much.
	idleConns = 1000
)

// idlePairs are the hosts TestIdleConnMemoryBudget holds to the budget,
// each against the raw library it runs on.
var idlePairs = []struct{ host, raw string }{
	{"sockhttp", "gorilla"},
	{"sockhttp+gws", "gws"},
}

// TestIdleConnMemoryBudget measures, as BenchmarkIdleConnMemory does (each
// server in a fresh process), what an idle connection costs each host and
// the raw echo loop of the library under it, after each path in
// benchIdlePaths, and fails if the host's exceeds the budget.
func TestIdleConnMemoryBudget(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds its own memory to every goroutine and allocation, so the idle-memory budget is checked only without -race")
	}
	eachHostHere(t)
	for _, pair := range idlePairs {
		for _, path := range benchIdlePaths {
			t.Run("host="+pair.host+"/path="+path.name, func(t *testing.T) {
				raw, err := benchRunIdleServer(pair.raw, path, idleConns)
				if err != nil {
					t.Fatal(err)
				}
				host, err := benchRunIdleServer(pair.host, path, idleConns)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: %v", pair.host, host)
				t.Logf("%s: %v", pair.raw, raw)
				if over := host.Bytes() - raw.Bytes(); over > idleBudget+idleTolerance {
					t.Errorf("an idle %s connection costs %.0f bytes more than a %s one (stack %.0f against %.0f); the budget is %d",
						pair.host, over, pair.raw, host.Stack, raw.Stack, idleBudget)
				}
				if host.Goroutines > 1+idleGoroutineTolerance {
					t.Errorf("an idle %s connection costs %.3f goroutines; the budget is 1", pair.host, host.Goroutines)
				}
			})
		}
	}
}
