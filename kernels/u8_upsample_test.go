//go:build unix

package kernels

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// upsampleRef is UpsampleH2V2U8's definition written as libjpeg's
// h2v2_fancy_upsample reads: column sums of the two rows, then each
// output from its own column's sum (3/4) and its neighbour's (1/4).
func upsampleRef(dst, near, far []uint8) {
	sum := func(t int) int { return 3*int(near[t]) + int(far[t]) }
	for j := range len(dst) / 2 {
		dst[2*j] = uint8((3*sum(j+1) + sum(j) + 8) / 16)
		dst[2*j+1] = uint8((3*sum(j+1) + sum(j+2) + 7) / 16)
	}
}

// TestUpsampleH2V2U8 checks UpsampleH2V2U8 on every path against its
// definition, byte for byte: 0 to 100 output pairs (around the 16-column
// step), random samples with runs of 0 and 255, rows and output ending at
// an inaccessible page.
func TestUpsampleH2V2U8(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	nearMem, farMem, outMem := guarded(t, 4096), guarded(t, 4096), guarded(t, 4096)
	nearAll := unsafe.Slice((*uint8)(unsafe.Pointer(&nearMem[0])), len(nearMem))
	farAll := unsafe.Slice((*uint8)(unsafe.Pointer(&farMem[0])), len(farMem))
	outAll := unsafe.Slice((*uint8)(unsafe.Pointer(&outMem[0])), len(outMem))
	for trial := range 300 {
		m := trial % 101
		near, far := nearAll[len(nearAll)-m-2:], farAll[len(farAll)-m-2:]
		for i := range near {
			near[i], far[i] = uint8(r.IntN(256)), uint8(r.IntN(256))
			if trial%3 == 0 {
				near[i], far[i] = []uint8{0, 255}[r.IntN(2)], []uint8{0, 255}[r.IntN(2)]
			}
		}
		want := make([]uint8, 2*m)
		upsampleRef(want, near, far)
		for _, path := range Paths() {
			usePath(t, path)
			out := outAll[len(outAll)-2*m:]
			clear(out)
			UpsampleH2V2U8(out, near, far)
			require.Equal(t, want, out, "%s: %d pairs", path, m)
		}
	}
	require.Panics(t, func() { UpsampleH2V2U8(make([]uint8, 3), make([]uint8, 3), make([]uint8, 3)) })
	require.Panics(t, func() { UpsampleH2V2U8(make([]uint8, 4), make([]uint8, 4), make([]uint8, 3)) })
}

// upsampleH2V1Ref is UpsampleH2V1U8's definition written as libjpeg's
// h2v1_fancy_upsample reads.
func upsampleH2V1Ref(dst, row []uint8) {
	for j := range len(dst) / 2 {
		dst[2*j] = uint8((3*int(row[j+1]) + int(row[j]) + 1) / 4)
		dst[2*j+1] = uint8((3*int(row[j+1]) + int(row[j+2]) + 2) / 4)
	}
}

// TestUpsampleH2V1U8 checks UpsampleH2V1U8 as TestUpsampleH2V2U8 does
// UpsampleH2V2U8.
func TestUpsampleH2V1U8(t *testing.T) {
	r := rand.New(rand.NewPCG(95, 96))
	rowMem, outMem := guarded(t, 4096), guarded(t, 4096)
	rowAll := unsafe.Slice((*uint8)(unsafe.Pointer(&rowMem[0])), len(rowMem))
	outAll := unsafe.Slice((*uint8)(unsafe.Pointer(&outMem[0])), len(outMem))
	for trial := range 300 {
		m := trial % 101
		row := rowAll[len(rowAll)-m-2:]
		for i := range row {
			row[i] = uint8(r.IntN(256))
			if trial%3 == 0 {
				row[i] = []uint8{0, 255}[r.IntN(2)]
			}
		}
		want := make([]uint8, 2*m)
		upsampleH2V1Ref(want, row)
		for _, path := range Paths() {
			usePath(t, path)
			out := outAll[len(outAll)-2*m:]
			clear(out)
			UpsampleH2V1U8(out, row)
			require.Equal(t, want, out, "%s: %d pairs", path, m)
		}
	}
	require.Panics(t, func() { UpsampleH2V1U8(make([]uint8, 3), make([]uint8, 3)) })
	require.Panics(t, func() { UpsampleH2V1U8(make([]uint8, 4), make([]uint8, 3)) })
}

// BenchmarkUpsampleH2V2U8 times one 420-sample chroma row (a 640x480
// frame's crop), on every path.
func BenchmarkUpsampleH2V2U8(b *testing.B) {
	near, far := make([]uint8, 212), make([]uint8, 212)
	for i := range near {
		near[i], far[i] = uint8(i*7), uint8(i*11)
	}
	out := make([]uint8, 420)
	for _, path := range Paths() {
		b.Run(path, func(b *testing.B) {
			usePath(b, path)
			for b.Loop() {
				UpsampleH2V2U8(out, near, far)
			}
			b.SetBytes(int64(len(out)))
		})
	}
}
