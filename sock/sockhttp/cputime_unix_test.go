//go:build unix

package sockhttp_test

import (
	"syscall"
	"time"
)

// benchProcessCPU returns the CPU time this process has used, user and
// system.
func benchProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
