package scenarios_test

import (
	"flag"
	"strconv"
	"testing"

	"github.com/sockkit/sockkit/scenarios"
)

// BenchmarkCheck measures lifecycle fuzzing of an echo handler, generation
// included: one op is one lifecycle (rapid's -rapid.steps, 30 on average,
// plus the end's liveness and determinism checks), all checks on unless the
// sub-benchmark switches one off.
//
//	go test -run '^$' -bench Check -cpu 1 ./scenarios
func BenchmarkCheck(b *testing.B) {
	for _, skip := range []string{"", "determinism", "invariants", "watchdog"} {
		name := "all checks"
		if skip != "" {
			name = "without " + skip
		}
		b.Run(name, func(b *testing.B) {
			old := flag.Lookup("rapid.checks").Value.String()
			flag.Set("rapid.checks", strconv.Itoa(b.N))
			defer flag.Set("rapid.checks", old)
			var opts scenarios.Options
			if skip != "" {
				opts.Skip = []string{skip}
			}
			b.ResetTimer()
			scenarios.Check(b, echoServer, &opts)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lifecycles/s")
		})
	}
}
