//go:build unix

package sim

import (
	"syscall"
	"time"
)

// cpuTime is the user and system time this process has used, for
// BenchmarkSweepJobs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
