package scenarios

import (
	"flag"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// BenchmarkCheck measures lifecycle fuzzing of an echo handler, generation
// included: one op is one lifecycle (rapid's -rapid.steps, 30 on average,
// plus the end's liveness and determinism checks), all checks on unless the
// sub-benchmark switches one off. It reports lifecycles and steps a second
// (the steps taken, the healing end aside).
//
//	go test -run '^$' -bench Check -cpu 1 ./scenarios
func BenchmarkCheck(b *testing.B) {
	echo := func() *sockhttp.Server {
		return sockhttp.NewServer(sockhttp.AcceptAll(func() sock.Handler {
			return sock.HandlerFunc(func(_ *sock.Conn, msg sock.Frame) sock.Result { return sock.Push(msg) })
		}), nil)
	}
	for _, skip := range []string{"", "determinism", "invariants", "watchdog", "leaks"} {
		name := "all checks"
		if skip != "" {
			name = "without " + skip
		}
		b.Run(name, func(b *testing.B) {
			old := flag.Lookup("rapid.checks").Value.String()
			flag.Set("rapid.checks", strconv.Itoa(b.N))
			defer flag.Set("rapid.checks", old)
			var opts Options
			if skip != "" {
				opts.Skip = []string{skip}
			}
			c := newChecker(echo, &opts)
			b.ResetTimer()
			rapid.Check(b, c.lifecycle)
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(c.coverage.lifecycles)/s, "lifecycles/s")
			b.ReportMetric(float64(c.coverage.steps)/s, "steps/s")
		})
	}
}
