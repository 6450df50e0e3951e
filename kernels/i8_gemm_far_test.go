//go:build unix && (amd64 || arm64)

package kernels

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestGemmInt8FarRows runs GemmInt8 with X's rows more than 2^31 bytes
// apart, past the int32 row offsets of the packers, on every path: X is a
// 6 GiB mapping whose pages are never written, so reading it costs no
// memory, with the two rows of data at its start and past 4 GiB.
func TestGemmInt8FarRows(t *testing.T) {
	if testing.Short() {
		t.Skip("maps 6 GiB of address space")
	}
	const stride = 4<<30 + 3
	mem, err := syscall.Mmap(-1, 0, 6<<30, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_NORESERVE)
	if err != nil {
		t.Skip("no 6 GiB mapping here:", err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	x := unsafe.Slice((*int8)(unsafe.Pointer(&mem[0])), len(mem))
	r := rand.New(rand.NewPCG(79, 80))
	const m, n, k = 5, 40, 2
	copy(x[:n], randInt8(r, n, 0, -128))
	copy(x[stride:stride+n], randInt8(r, n, 0, -128))
	d := newGemmInt8Data(r, gemmInt8Case{m: m, n: n, k: k, groups: 1})
	d.x = x[:stride+n]
	d.xRS, d.xCS, d.cRS, d.cCS = stride, 1, n, 1
	d.c0 = make([]int8, m*n)
	want := d.naive(t)
	for _, path := range Paths() {
		usePath(t, path)
		require.Equal(t, want, d.run(), path)
	}
}
