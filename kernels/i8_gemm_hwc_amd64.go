//go:build !purego

package kernels

import (
	"encoding/binary"
	"unsafe"
)

// The pixel-major int8 GEMM of the avx2 path (i8_gemm_amd64.s): GemmInt8
// whose X columns and C columns are each contiguous (xRowStride and
// cRowStride 1), which is a convolution on HWC images (a column is a
// pixel, its k values the channels of the window) and a fully connected
// layer on a batch. The kernel keeps 16 output channels in the lanes of
// two YMM registers and broadcasts one pixel's activations against them,
// so each stored row of a tile is 16 contiguous channels of one pixel:
// C is written in place, and the weight panels PackInt8 laid out (16 rows,
// each step 16 rows × 2 int16) are the vectors the kernel loads. The
// activations are sign-extended to int16 once per call, a block of pixels
// at a time (the block is then read once per panel of 16 channels, from
// L1 or L2); VPMADDWD multiplies each pixel's pair of int16 with the
// channels' pairs and adds the two products into int32 lanes exactly.
//
// The requantize epilogue runs on the lanes with per-channel parameters
// laid out once per Requant (pxLanes): the shifts decoded into masks.

// pxArgs describes one call of i8GemmHWC6x16c2AVX2: n pixels against one panel
// of 16 output channels. The kernel reads the fields at the offsets
// go_asm.h gives.
type pxArgs struct {
	x     *byte // the first pixel's activations, ks pairs of int16
	w     *int8 // the panel's weights: ks steps of 16 channels × 2 int16
	lanes *byte // the panel's requantize parameters, pxLane* units of 64 bytes
	c     *int8 // the first pixel's output, at the panel's first channel
	ldx   int   // bytes between pixels in x; x holds roundUp(n, 6) of them
	ldc   int   // bytes between pixels in c
	ks    int   // steps, >= 1
	n     int   // pixels, >= 1
	// store8 is 1 when only the panel's first 8 channels are stored.
	store8     int32
	zp, lo, hi int32
	general    int32 // 1 when some channel shifts left or some multiplier is MinInt32
}

// The requantize parameters of a panel of 16 channels: one 64-byte unit
// (16 int32, channel order) per field. Channels past the group are zero.
const (
	pxLaneBias    = iota // Requant.Bias
	pxLaneMult           // Requant.Multiplier
	pxLaneMultOdd        // lane j (even): the multiplier of channel j+1, for VPMULDQ's odd lanes
	pxLaneMask           // (1<<right)-1, right = max(-Shift, 0)
	pxLaneHalf           // mask>>1
	pxLaneRight          // right
	pxLaneLeft           // max(Shift, 0)
	pxLanes
)

// pxPrepared is what the pixel-major path lays out from a Requant for the
// weights it is used with.
type pxPrepared struct {
	lanes   []byte // per group, per panel of 16 channels, pxLanes units
	general bool
}

// pxPrepare lays out rq for the panels of w.
func pxPrepare(w *PackedInt8, rq *Requant) *pxPrepared {
	mg := w.m / w.groups
	ppg := (mg + 15) / 16
	l := newI8Lanes(rq, w.m)
	out := make([]byte, w.groups*ppg*pxLanes*64)
	for g := range w.groups {
		for q := range ppg {
			rec := out[(g*ppg+q)*pxLanes*64:]
			for j := range min(16, mg-q*16) {
				c := g*mg + q*16 + j
				put := func(field int, v int32) {
					binary.LittleEndian.PutUint32(rec[field*64+4*j:], uint32(v))
				}
				put(pxLaneBias, l.bias[c])
				put(pxLaneMult, l.mult[c])
				if j%2 == 0 && q*16+j+1 < mg {
					put(pxLaneMultOdd, l.mult[c+1])
				}
				put(pxLaneMask, l.mask[c])
				put(pxLaneHalf, l.half[c])
				put(pxLaneRight, l.rsh[c])
				put(pxLaneLeft, l.lsh[c])
			}
		}
	}
	return &pxPrepared{lanes: out, general: l.anyLeft || l.anyMinMult}
}

// pxBlockBytes bounds the widened activations of one block of pixels, so
// that the block stays in L2 while every panel of channels runs over it.
const pxBlockBytes = 96 << 10

// pixelMajorGemm is GemmInt8 with xRowStride == cRowStride == 1 on the avx2
// path: column j of group g's X at x[j*xcs + g*k:], its output channels
// at c[j*ccs + g*mg:].
func (s *i8Shape) pixelMajorGemm(w *PackedInt8, x []int8, n, xcs int, rq *Requant, c []int8, ccs int) {
	v, ok := w.prepared.get(rq)
	prep, _ := v.(*pxPrepared)
	if !ok || prep == nil {
		prep = pxPrepare(w, rq)
		w.prepared.put(rq, prep)
	}
	sc := i8Pool.Get()
	k, mg := w.k, w.m/w.groups
	ks := (k + 1) / 2
	ldx := 4 * ks
	block := min(roundUp(n, 6), max(6, pxBlockBytes/ldx/6*6))
	if need := block * ldx; cap(sc.px) < need {
		sc.px = make([]byte, need)
	}
	xb := sc.px[:block*ldx]
	ppg := (mg + 15) / 16
	panel := ks * 64
	a := &sc.pxArgs
	*a = pxArgs{ldx: ldx, ks: ks, zp: rq.ZeroPoint, lo: rq.Min, hi: rq.Max}
	if prep.general {
		a.general = 1
	}
	for g := range w.groups {
		for p0 := 0; p0 < n; p0 += block {
			np := min(block, n-p0)
			for j := range np {
				i8WidenAVX2(&xb[j*ldx], &x[(p0+j)*xcs+g*k], k)
			}
			a.x, a.n = &xb[0], np
			for q := range ppg {
				i0 := g*mg + q*16
				nc := min(16, mg-q*16)
				a.w = &w.data[(g*ppg+q)*panel]
				a.lanes = &prep.lanes[(g*ppg+q)*pxLanes*64]
				a.store8 = 0
				if nc == 16 || nc == 8 {
					if nc == 8 {
						a.store8 = 1
					}
					o := p0*ccs + i0
					_ = c[o+(np-1)*ccs+nc-1]
					a.c, a.ldc = &c[o], ccs
					pxRun(a)
					continue
				}
				// Other partial panels go through a tile of 16 channels
				// per pixel.
				if cap(sc.pxTile) < 16*np {
					sc.pxTile = make([]int8, 16*block)
				}
				t := sc.pxTile[:16*np]
				a.c, a.ldc = &t[0], 16
				pxRun(a)
				for j := range np {
					copy(c[(p0+j)*ccs+i0:][:nc], t[16*j:])
				}
			}
		}
	}
	sc.pxArgs = pxArgs{}
	i8Pool.Put(sc)
}

// i8GemmHWC6x16c2AVX2 computes a.n pixels of one 16-channel panel (i8_gemm_amd64.s):
// 6 pixels at a time (the last tile's missing pixels read whatever x
// holds there and are not stored), int32 accumulators from the bias, the
// requantize epilogue in the lanes, 16 (or 8, store8) int8 per pixel.
//
//go:noescape
func i8GemmHWC6x16c2AVX2(a *pxArgs)

// i8GemmHWC1x16c2AVX2 is i8GemmHWC6x16c2AVX2 one pixel at a time (the weights stream
// once per pixel): for a.n up to 2, where a 6-pixel tile would compute
// mostly pixels that are not there.
//
//go:noescape
func i8GemmHWC1x16c2AVX2(a *pxArgs)

// pxOneByOne is the most pixels the 6-pixel kernel leaves to the
// one-pixel kernel: a tile of 6 costs about as much as 3 pixels one by one.
const pxOneByOne = 2

// pxRun computes the a.n pixels of a block on one panel: tiles of 6, and
// a last 1 or 2 pixels one by one.
func pxRun(a *pxArgs) {
	n := a.n
	tail := n % 6
	if tail > pxOneByOne {
		i8GemmHWC6x16c2AVX2(a)
		return
	}
	if full := n - tail; full > 0 {
		a.n = full
		i8GemmHWC6x16c2AVX2(a)
	}
	if tail > 0 {
		x, c := a.x, a.c
		a.x = (*byte)(unsafe.Add(unsafe.Pointer(a.x), (n-tail)*a.ldx))
		a.c = (*int8)(unsafe.Add(unsafe.Pointer(a.c), (n-tail)*a.ldc))
		a.n = tail
		i8GemmHWC1x16c2AVX2(a)
		a.x, a.c = x, c
	}
	a.n = n
}

// i8WidenAVX2 sign-extends the k int8 at src to int16 at dst, and writes
// a zero int16 after them when k is odd. It reads exactly k bytes.
//
//go:noescape
func i8WidenAVX2(dst *byte, src *int8, k int)
