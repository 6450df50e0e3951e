package memcheck

import "testing"

// fakeT records a failure instead of stopping the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }

var sink []byte

func TestCheck(t *testing.T) {
	ok := &fakeT{TB: t}
	Check(ok, 1000, func() { sink = make([]byte, 32*1000) })
	if ok.failed {
		t.Error("32x the input failed the bound")
	}
	over := &fakeT{TB: t}
	Check(over, 1000, func() { sink = make([]byte, Limit(1000)+1) })
	if !over.failed {
		t.Error("an allocation over the bound passed")
	}
}
