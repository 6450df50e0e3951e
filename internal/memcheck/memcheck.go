// Package memcheck is the memory bound every fuzz target of edgecnn
// asserts: a parser or builder handed n bytes of hostile input may
// allocate at most Ratio*n bytes, plus Slack for its fixed costs (a gzip
// window, a bufio buffer, a worker pool). A header that claims a huge size
// must be an error, not an allocation.
package memcheck

import (
	"runtime"
	"testing"
)

// Ratio is the most a call may allocate per byte of its input.
const Ratio = 64

// Slack is what a call may allocate whatever its input.
const Slack = 512 << 10

// Limit is the most a call given n bytes may allocate.
func Limit(n int) uint64 { return Ratio*uint64(n) + Slack }

// Check runs f, the work done on n bytes of input, and fails t if it
// allocated more than Limit(n) bytes.
func Check(t testing.TB, n int, f func()) {
	t.Helper()
	Bound(t, Limit(n), f)
}

// Bound runs f and fails t if it allocated more than limit bytes
// (runtime.MemStats.TotalAlloc, which counts every allocation, freed or
// not, of every goroutine). Decoders whose output may rightly be much
// larger than their input (a flat PNG compresses a thousandfold) use it
// with Limit(n) plus a fixed cap on what one decode may take.
func Bound(t testing.TB, limit uint64, f func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > limit {
		t.Fatalf("allocated %d bytes, over the bound of %d", got, limit)
	}
}
