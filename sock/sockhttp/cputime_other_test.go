//go:build !unix

package sockhttp_test

import "time"

// benchProcessCPU returns 0: BenchmarkEchoServerCPU reads the CPU time of
// a process on unix systems only.
func benchProcessCPU() time.Duration { return 0 }
