// Package safefiletest makes the special files that hostile folders hold,
// for the tests of every reader of user files.
package safefiletest

import (
	"os"
	"testing"
	"time"
)

// Special creates a FIFO that nobody writes to at the path fifo and a
// symbolic link to /dev/zero at the path zero (either may be ""), the two
// files that used to hang a reader or exhaust its memory. It skips the
// test where they cannot be made.
func Special(t testing.TB, fifo, zero string) {
	t.Helper()
	if fifo != "" {
		mkfifo(t, fifo)
	}
	if zero != "" {
		if err := os.Symlink("/dev/zero", zero); err != nil {
			t.Fatal(err)
		}
	}
}

// Within runs f and fails the test if it does not return within d (a
// reader stuck on a FIFO), leaving it running.
func Within(t testing.TB, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("did not return within %v", d)
	}
}
