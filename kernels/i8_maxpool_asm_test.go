//go:build unix

package kernels

import (
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// guarded returns n bytes that end where an unreadable, unwritable page
// begins, so that a kernel reading or writing past the end of a slice
// placed at the end of them faults instead of passing unnoticed.
func guarded(t *testing.T, n int) []int8 {
	page := os.Getpagesize()
	n = (n + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, n+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	require.NoError(t, syscall.Mprotect(mem[n:], syscall.PROT_NONE))
	return unsafe.Slice((*int8)(unsafe.Pointer(&mem[0])), n)
}

// maxPoolGeoms returns the pools of real models, then n random geometries
// whose windows lie inside the image: strides 1 to 3, windows up to 4 rows
// and 10 columns (past the widest assembly variant), rows of 1 to 40
// outputs (one, two and three blocks of 16, with every tail), spare rows
// and columns at the bottom and right.
func maxPoolGeoms(r *rand.Rand, n int) []ConvGeom {
	gs := []ConvGeom{
		{C: 96, H: 24, W: 24, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 12, OutW: 12}, // AlexNet-32 pool1
		{C: 64, H: 27, W: 27, KH: 3, KW: 3, SH: 2, SW: 2, OutH: 13, OutW: 13},
		{C: 6, H: 28, W: 28, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 14, OutW: 14}, // LeNet-5 pool1
		{C: 16, H: 10, W: 10, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 5, OutW: 5},  // LeNet-5 pool2
		{C: 3, H: 7, W: 7, KH: 7, KW: 7, SH: 1, SW: 1, OutH: 1, OutW: 1},     // global
		{C: 20, H: 1, W: 1, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 1, OutW: 1},    // 1x1 images
		{C: 2, H: 5, W: 40, KH: 3, KW: 3, SH: 1, SW: 1, OutH: 3, OutW: 38},   // 3x3 stride 1
		{C: 2, H: 4, W: 70, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 2, OutW: 35},   // three blocks
		{C: 1, H: 3, W: 9, KH: 3, KW: 9, SH: 3, SW: 3, OutH: 1, OutW: 1},     // one window, wide
		{C: 4, H: 9, W: 9, KH: 3, KW: 3, SH: 3, SW: 3, OutH: 3, OutW: 3},     // stride 3: Go
	}
	for range n {
		g := ConvGeom{C: 1 + r.IntN(4), KH: 1 + r.IntN(4), KW: 1 + r.IntN(10), SH: 1 + r.IntN(3), SW: 1 + r.IntN(3),
			OutH: 1 + r.IntN(5), OutW: 1 + r.IntN(40)}
		g.H = (g.OutH-1)*g.SH + g.KH + r.IntN(3)
		g.W = (g.OutW-1)*g.SW + g.KW + r.IntN(3)
		gs = append(gs, g)
	}
	return gs
}

// TestMaxPoolInt8Paths checks MaxPoolInt8 on every path against the general
// loop, bit for bit, on windows inside the image, with random values and
// -128/127 extremes, the source and the destination each ending at an
// inaccessible page.
func TestMaxPoolInt8Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	n := 400
	if testing.Short() {
		n = 150
	}
	gs := maxPoolGeoms(r, n)
	var srcMax, dstMax int
	for _, g := range gs {
		srcMax, dstMax = max(srcMax, g.C*g.H*g.W), max(dstMax, g.C*g.OutH*g.OutW)
	}
	srcMem, dstMem := guarded(t, srcMax), guarded(t, dstMax)
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	for i, g := range gs {
		require.True(t, g.inside(), "%+v", g)
		src := srcMem[len(srcMem)-g.C*g.H*g.W:]
		copy(src, randInt8(r, len(src), i%4, -128))
		want := make([]int8, g.C*g.OutH*g.OutW)
		maxPoolInt8Generic(src, want, g)
		dst := dstMem[len(dstMem)-len(want):]
		for _, path := range Paths() {
			require.NoError(t, Use(path))
			for j := range dst {
				dst[j] = int8(j) // neither the last result nor -128/127
			}
			MaxPoolInt8(src, dst, g)
			require.Equal(t, want, dst, "%s %+v data class %d", path, g, i%4)
		}
	}
}

// TestMaxPoolInt8AsmTakes checks which pools the assembly runs: those with
// strides 1 and 2 and windows up to poolMaxKW wide, on every path but
// generic.
func TestMaxPoolInt8AsmTakes(t *testing.T) {
	if len(Paths()) == 1 {
		t.Skip("no assembly max pool in this build")
	}
	for _, c := range []struct {
		g    ConvGeom
		asm  bool
		name string
	}{
		{ConvGeom{C: 96, H: 24, W: 24, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 12, OutW: 12}, true, "2x2/2"},
		{ConvGeom{C: 64, H: 27, W: 27, KH: 3, KW: 3, SH: 2, SW: 2, OutH: 13, OutW: 13}, true, "3x3/2"},
		{ConvGeom{C: 2, H: 5, W: 40, KH: 3, KW: 3, SH: 1, SW: 1, OutH: 3, OutW: 38}, true, "3x3/1"},
		{ConvGeom{C: 2, H: 9, W: 40, KH: 5, KW: 8, SH: 3, SW: 2, OutH: 2, OutW: 17}, true, "5x8, stride 3x2"},
		{ConvGeom{C: 1, H: 3, W: 9, KH: 3, KW: 8, SH: 3, SW: 3, OutH: 1, OutW: 1}, true, "one window per row"},
		{ConvGeom{C: 4, H: 9, W: 9, KH: 3, KW: 3, SH: 3, SW: 3, OutH: 3, OutW: 3}, false, "stride 3"},
		{ConvGeom{C: 1, H: 9, W: 9, KH: 9, KW: 9, SH: 1, SW: 1, OutH: 1, OutW: 1}, false, "9 wide"},
	} {
		src, dst := make([]int8, c.g.C*c.g.H*c.g.W), make([]int8, c.g.C*c.g.OutH*c.g.OutW)
		for _, path := range Paths() {
			usePath(t, path)
			want := c.asm && path != PathGeneric
			mp := active.Load().maxPool
			require.Equal(t, want, mp != nil && mp(src, dst, c.g), "%s on %s", c.name, path)
		}
	}
}

// unsafeF32 views the bytes of b as float32 values.
func unsafeF32(b []int8) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}
