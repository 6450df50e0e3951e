//go:build !purego

package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPathsAmd64 checks the dispatch: avx2 runs exactly when the CPU has
// AVX2 and FMA3, avxvnni exactly when it also has AVX_VNNI, vnni exactly
// when it also has AVX512F, AVX512VL and AVX512_VNNI, and the best one is
// chosen. Under qemu-x86_64 -cpu max (AVX2,
// no AVX-512) this picks avx2, and EDGECNN_KERNELS=vnni is refused with an
// error instead of reaching an illegal instruction.
func TestPathsAmd64(t *testing.T) {
	paths := Paths()
	avx2 := cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)
	vnni := avx2 && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL, cpuid.AVX512VNNI)
	assert.Equal(t, avx2, slices.Contains(paths, PathAVX2), "avx2 in %v", paths)
	assert.Equal(t, vnni, slices.Contains(paths, PathVNNI), "vnni in %v", paths)
	avxvnni := avx2 && cpuid.CPU.Has(cpuid.AVXVNNI)
	assert.Equal(t, avxvnni, slices.Contains(paths, PathAVXVNNI), "avxvnni in %v", paths)
	t.Logf("paths %v; AVX2 %v, AVX512_VNNI %v, AVX_VNNI %v", paths, avx2, vnni, avxvnni)
	if !vnni {
		old := Path()
		t.Cleanup(func() { _ = Use(old) })
		err := applyEnv(PathVNNI)
		assert.ErrorContains(t, err, `EDGECNN_KERNELS=vnni: kernels: path "vnni": this CPU lacks`)
		assert.Equal(t, PathGeneric, Path())
	}
}

// TestPackXStage checks the activation packers where X cannot be read in
// place: narrow last panels at the very end of x and k not a multiple of
// the step, for every shape of the tiled paths, against generic. x is
// exactly as long as the matrix, so a read past it would fault.
func TestPackXStage(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 31, 33} {
		for _, n := range []int{1, 15, 16, 17, 31, 32, 33, 47, 65} {
			m := 1 + r.IntN(20)
			d := newGemmInt8Data(r, gemmInt8Case{m: m, n: n, k: k, groups: 1, zpClass: r.IntN(4), dataClass: r.IntN(4)})
			d.xRS, d.xCS, d.cRS, d.cCS = n, 1, n, 1
			d.x = randInt8(r, k*n, d.dataClass, -128)
			d.c0 = randInt8(r, m*n, 0, -128)
			want := d.naive(t)
			for _, path := range Paths() {
				require.NoError(t, Use(path))
				require.Equal(t, want, d.run(), "%s m%d n%d k%d", path, m, n, k)
			}
		}
	}
}
