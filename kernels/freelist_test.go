package kernels

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFreeListSteadyState: once every size has been seen, any object a
// call gets serves it without growing, and ReserveScratch keeps enough
// objects made for the calls its reservations run at once.
func TestFreeListSteadyState(t *testing.T) {
	l := newFreeList(func() *[]int32 { return new([]int32) }, func(d, s *[]int32) { fitSlice(d, *s) })
	release := ReserveScratch(3)
	defer release()
	require.GreaterOrEqual(t, l.made, 3)
	made := l.made
	a, b, c := l.Get(), l.Get(), l.Get()
	require.Equal(t, made, l.made, "reserved objects are handed out first")
	*b = make([]int32, 100) // b served a large call while a and c served small ones
	l.Put(a)
	l.Put(b)
	l.Put(c)
	for range 3 {
		x := l.Get()
		require.GreaterOrEqual(t, cap(*x), 100)
		defer l.Put(x)
	}
	// A list made after the reservation gets its objects too.
	l2 := newFreeList(func() *[]int8 { return new([]int8) }, nil)
	require.GreaterOrEqual(t, l2.made, 3)
	release()
	release() // a second release is a no-op
	l3 := newFreeList(func() *[]int8 { return new([]int8) }, nil)
	require.Equal(t, reservedNow(), l3.made)
}

func reservedNow() int {
	listsMu.Lock()
	defer listsMu.Unlock()
	return reserved
}
