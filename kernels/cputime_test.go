package kernels

import (
	"testing"
	"time"
)

// loopMin runs f as b.Loop asks and reports, beside the mean, the
// fastest single call as min-ns/op: on a machine shared with other work
// the mean counts the calls that waited for a core or found their caches
// emptied by another process; the fastest call is the kernel's own time.
func loopMin(b *testing.B, f func()) {
	best := time.Duration(1<<63 - 1)
	for b.Loop() {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	b.ReportMetric(float64(best.Nanoseconds()), "min-ns/op")
}
