//go:build !purego

package kernels

import (
	"math"
	"unsafe"
)

// The int8 GEMM of the avx2 and vnni paths (kernels in i8_gemm_amd64.s).
//
// Both compute C = requant(W·X) one tile of MR rows × NR columns at a time,
// with the int32 accumulators in registers from the first k to the int8
// store: the requantize epilogue (bias, saturating left shift, rounding
// doubling high multiply, rounding right shift, zero point, clamp) runs in
// the kernel on the accumulators. The weights are packed once by PackInt8
// into panels of panelRows rows whose k values are grouped by kStep (the
// number of k values one multiply-add instruction reduces); X is packed per
// call, NR columns at a time, into a reused buffer, and every weight panel
// of the group then runs against that column panel while it sits in L1.
//
// A full tile whose C row holds contiguous columns is stored by the kernel
// straight into C; tails (and strided C) go through a small tile buffer and
// a Go copy. A tile with fewer than MR rows (m not a multiple of MR) is
// computed whole but stores only its rows (i8Epi.rows).

// i8Epi holds the epilogue parameters of one tile, read by the kernels at
// the offsets go_asm.h gives. bias, corr, mult and shift point at MR
// values (rows i0 ... i0+MR-1).
type i8Epi struct {
	bias  *int32 // Requant.Bias
	corr  *int32 // vnni only: -128 * row sum, added to the bias
	mult  *int32 // Requant.Multiplier
	shift *int32 // Requant.Shift
	zp    int32  // output zero point
	lo    int32  // clamp minimum
	hi    int32  // clamp maximum
	loz   int32  // lo - zp
	hiz   int32  // hi - zp
	rows  int32  // rows of the tile to store, 1 ... MR
}

// i8Shape describes the packed layout and micro-kernel of one path.
type i8Shape struct {
	mr, nr    int // tile rows and columns
	panelRows int // rows per packed weight panel (a multiple of mr)
	kStep     int // k values per step
	wElem     int // bytes per packed weight value (2: int16, 1: int8)
	xStep     int // bytes of packed X per step (nr columns)
	vnni      bool
	kernel    func(ks int, w *int8, x *byte, c *int8, ldc int, ep *i8Epi)
	// packFull packs ks full steps of nr contiguous columns of X, row r
	// starting at x+off[r].
	packFull func(ks int, x *int8, off *int32, dst *byte)
	stageOff [4]int32 // the row offsets of i8Scratch.stage: r*nr
	// gemvKernel, if not nil, is the matrix-vector kernel (i8_gemv_amd64.go)
	// that gemm runs instead of the tiles when n <= gemvMaxN; gemvKernel4,
	// if not nil, its variant for up to four columns at once.
	gemvKernel  func(ks, panels int, w *int8, x *byte, out *int8, ep *i8Epi)
	gemvKernel4 func(ks, panels int, w *int8, x *byte, out *int8, ldo, nc int, ep *i8Epi)
	gemvMaxN    int
	// pixelMajor is set when the path has the pixel-major kernel
	// (i8_gemm_amd64.go) for X and C with contiguous columns.
	pixelMajor bool
}

// i8Scratch is the per-call state of the tiled GEMM, cached (freeList) so that
// steady-state calls allocate nothing.
type i8Scratch struct {
	x                       []byte
	off                     []int32 // row offsets of a strided X: r*xRowStride
	tile                    [16 * 32]int8
	stage                   [4 * 32]int8 // rows for the packer that X cannot give in place
	bias, corr, mult, shift [16]int32
	ep                      i8Epi

	// The pixel-major GEMM (i8_gemm_amd64.go): a block of widened
	// activations, a tile for partial panels, the kernel's arguments.
	px     []byte
	pxTile []int8
	pxArgs pxArgs

	// The call being run.
	w       *PackedInt8
	rq      *Requant
	ks      int     // steps of k
	wCorr   []int32 // vnni: the weights' -128*rowSum
	tailRow int     // the first row of the tail tile whose parameters bias ... shift hold
}

var i8Pool = newFreeList(func() *i8Scratch { return new(i8Scratch) }, func(d, s *i8Scratch) {
	fitSlice(&d.x, s.x)
	fitSlice(&d.off, s.off)
	fitSlice(&d.px, s.px)
	fitSlice(&d.pxTile, s.pxTile)
})

// stepBytes returns the bytes of one weight panel step.
func (s *i8Shape) stepBytes() int { return s.panelRows * s.kStep * s.wElem }

// panelsPerGroup returns the number of weight panels of a group of mg rows.
func (s *i8Shape) panelsPerGroup(mg int) int { return (mg + s.panelRows - 1) / s.panelRows }

// pack lays out w (m×k, groups blocks of m/groups rows) as panels: for each
// group, for each panel of panelRows rows, for each step s of kStep k values,
// the rows in order, each with its kStep values (zero past k and past the
// group's last row). vnni appends -128*rowSum per row as int32.
func (s *i8Shape) pack(w []int8, m, k, groups int) []int8 {
	mg := m / groups
	ks := (k + s.kStep - 1) / s.kStep
	ppg := s.panelsPerGroup(mg)
	panel := ks * s.stepBytes()
	size := groups * ppg * panel
	corrOff := size
	if s.vnni {
		size += 4 * m
	}
	// A kernel whose tiles do not divide the panel reads the last tile's
	// missing rows past the panel's end, the last panel's past the data.
	size += (roundUp(s.panelRows, s.mr) - s.panelRows) * s.kStep * s.wElem
	out := make([]int8, size)
	for g := range groups {
		for p := range ppg {
			base := (g*ppg + p) * panel
			for r := range s.panelRows {
				row := p*s.panelRows + r
				if row >= mg {
					break
				}
				src := w[(g*mg+row)*k : (g*mg+row+1)*k]
				for kk, v := range src {
					st, t := kk/s.kStep, kk%s.kStep
					o := base + st*s.stepBytes() + (r*s.kStep+t)*s.wElem
					out[o] = v
					if s.wElem == 2 {
						out[o+1] = v >> 7 // the sign extension: int16 little endian
					}
				}
			}
		}
	}
	if s.vnni {
		for i := range m {
			var sum int32
			for _, v := range w[i*k : (i+1)*k] {
				sum += int32(v)
			}
			*(*int32)(unsafe.Pointer(&out[corrOff+4*i])) = -128 * sum
		}
	}
	return out
}

// packRows packs nc columns of X into sc.x, nr columns per step: row r of X
// is x[base+off[r]:], off ascending. Values past len(off) rows or past nc
// columns are left as they are: they meet zero weights or land in columns
// that are not stored.
func (s *i8Shape) packRows(sc *i8Scratch, x []int8, base int, off []int32) {
	k := len(off)
	// Rows whose nr bytes lie inside x are packed in place, whole steps of
	// them; as the offsets ascend, they are a prefix, found by bisection.
	// The rest (the last rows of a narrow last panel, and a step that k
	// does not fill) are copied to a stage of kStep rows first. Stage rows
	// past k keep old values: they meet zero weights.
	lo, hi := 0, k
	for lo < hi {
		if h := int(uint(lo+hi) >> 1); base+int(off[h])+s.nr <= len(x) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	kk0 := 0
	if full := lo / s.kStep; full > 0 {
		s.packFull(full, &x[base], &off[0], &sc.x[0])
		kk0 = full * s.kStep
	}
	for ; kk0 < k; kk0 += s.kStep {
		for t := range s.kStep {
			if kk := kk0 + t; kk < k {
				a := base + int(off[kk])
				copy(sc.stage[t*s.nr:(t+1)*s.nr], x[a:min(a+s.nr, len(x))])
			}
		}
		s.packFull(1, &sc.stage[0], &s.stageOff[0], &sc.x[(kk0/s.kStep)*s.xStep])
	}
}

// packStrided packs columns j0 ... j0+nc-1 of the k rows of X starting at
// row r0 into sc.x, element (r, j) at x[r*xrs + j*xcs], in Go: the
// columns are not contiguous (a batch of fully connected inputs).
func (s *i8Shape) packStrided(sc *i8Scratch, x []int8, k, r0, j0, nc, xrs, xcs int) {
	for kk := range k {
		d := sc.x[(kk/s.kStep)*s.xStep:]
		t := kk % s.kStep
		src := x[(r0+kk)*xrs+j0*xcs:]
		if s.vnni {
			d = d[t : 4*nc]
			for j := range nc {
				d[4*j] = byte(src[j*xcs]) ^ 0x80
			}
			continue
		}
		d = d[2*t : 4*nc]
		for j := range nc {
			v := src[j*xcs]
			d[4*j] = byte(v)
			d[4*j+1] = byte(v >> 7)
		}
	}
}

// begin takes a scratch from i8Pool and readies it for a call with
// weights w and epilogue rq.
func (s *i8Shape) begin(w *PackedInt8, rq *Requant) *i8Scratch {
	sc := i8Pool.Get()
	sc.w, sc.rq = w, rq
	sc.ks = (w.k + s.kStep - 1) / s.kStep
	if need := sc.ks * s.xStep; cap(sc.x) < need {
		sc.x = make([]byte, need)
	}
	sc.x = sc.x[:sc.ks*s.xStep]
	ep := &sc.ep
	ep.zp, ep.lo, ep.hi = rq.ZeroPoint, rq.Min, rq.Max
	ep.loz, ep.hiz = rq.Min-rq.ZeroPoint, rq.Max-rq.ZeroPoint
	sc.tailRow = -1
	sc.wCorr = nil
	if s.vnni {
		sc.wCorr = unsafe.Slice((*int32)(unsafe.Pointer(&w.data[groupsBytes(w, s)])), w.m)
	}
	return sc
}

// end returns sc to i8Pool without the caller's objects.
func (s *i8Shape) end(sc *i8Scratch) {
	sc.w, sc.rq, sc.wCorr = nil, nil, nil
	sc.ep.bias, sc.ep.corr, sc.ep.mult, sc.ep.shift = nil, nil, nil, nil
	i8Pool.Put(sc)
}

// gemm is the int8Impl.gemm of a tiled path.
func (s *i8Shape) gemm(w *PackedInt8, x []int8, n, xrs, xcs int, rq *Requant, c []int8, crs, ccs int) {
	if s.pixelMajor && xrs == 1 && crs == 1 {
		s.pixelMajorGemm(w, x, n, xcs, rq, c, ccs)
		return
	}
	// The matrix-vector kernels read each column's k values as one run
	// and store its output channels as one run: with X and C in that
	// layout (HWC images, batches of fully connected inputs) they beat the
	// column-major tiles, whose packing of X would be a transposition.
	if n <= s.gemvMaxN || (s.gemvKernel != nil && xrs == 1 && crs == 1) {
		s.gemv(w, x, n, xrs, xcs, rq, c, crs, ccs)
		return
	}
	sc := s.begin(w, rq)
	k := w.k
	// The packers read X's rows through int32 offsets; rows too far apart
	// for them go through the strided Go packer.
	rowsPacked := xcs == 1 && (k-1)*xrs <= math.MaxInt32
	if rowsPacked {
		if cap(sc.off) < k {
			sc.off = make([]int32, k)
		}
		sc.off = sc.off[:k]
		for r := range sc.off {
			sc.off[r] = int32(r * xrs)
		}
	}
	for g := range w.groups {
		for j0 := 0; j0 < n; j0 += s.nr {
			nc := min(s.nr, n-j0)
			if rowsPacked {
				s.packRows(sc, x, g*k*xrs+j0, sc.off)
			} else {
				s.packStrided(sc, x, k, g*k, j0, nc, xrs, xcs)
			}
			s.tiles(sc, g, nc, c, j0*ccs, crs, ccs)
		}
	}
	s.end(sc)
}

// gemmRows is the int8Impl.gemmRows of a tiled path.
func (s *i8Shape) gemmRows(w *PackedInt8, x []int8, off []int32, n, segs, xSeg int, rq *Requant, c []int8, crs, cSeg int) {
	sc := s.begin(w, rq)
	for seg := range segs {
		for j0 := 0; j0 < n; j0 += s.nr {
			s.packRows(sc, x, seg*xSeg+j0, off)
			s.tiles(sc, 0, min(s.nr, n-j0), c, seg*cSeg+j0, crs, 1)
		}
	}
	s.end(sc)
}

// tiles runs every weight panel of group g against the packed columns in
// sc.x and stores their nc columns: row i, column j at c[i*crs + co + j*ccs].
func (s *i8Shape) tiles(sc *i8Scratch, g, nc int, c []int8, co, crs, ccs int) {
	w, rq, ep := sc.w, sc.rq, &sc.ep
	mg := w.m / w.groups
	panel := sc.ks * s.stepBytes()
	ppg := s.panelsPerGroup(mg)
	for p := range ppg {
		for h := 0; h < s.panelRows; h += s.mr {
			i0 := g*mg + p*s.panelRows + h
			rows := min(s.mr, s.panelRows-h, (g+1)*mg-i0)
			if rows <= 0 {
				break
			}
			if rows == s.mr {
				ep.bias, ep.mult, ep.shift = &rq.Bias[i0], &rq.Multiplier[i0], &rq.Shift[i0]
				if s.vnni {
					ep.corr = &sc.wCorr[i0]
				}
			} else {
				if sc.tailRow != i0 {
					sc.tailRow = i0
					sc.bias, sc.mult, sc.shift, sc.corr = [16]int32{}, [16]int32{}, [16]int32{}, [16]int32{}
					copy(sc.bias[:rows], rq.Bias[i0:])
					copy(sc.mult[:rows], rq.Multiplier[i0:])
					copy(sc.shift[:rows], rq.Shift[i0:])
					if s.vnni {
						copy(sc.corr[:rows], sc.wCorr[i0:])
					}
				}
				ep.bias, ep.mult, ep.shift, ep.corr = &sc.bias[0], &sc.mult[0], &sc.shift[0], &sc.corr[0]
			}
			ep.rows = int32(rows)
			wp := &w.data[(g*ppg+p)*panel+h*s.kStep*s.wElem]
			if nc == s.nr && ccs == 1 {
				o := i0*crs + co
				_ = c[o+(rows-1)*crs+s.nr-1]
				s.kernel(sc.ks, wp, &sc.x[0], &c[o], crs, ep)
				continue
			}
			s.kernel(sc.ks, wp, &sc.x[0], &sc.tile[0], s.nr, ep)
			for r := range rows {
				t := sc.tile[r*s.nr : r*s.nr+nc]
				o := (i0+r)*crs + co
				if ccs == 1 {
					copy(c[o:o+nc], t)
					continue
				}
				for j, v := range t {
					c[o+j*ccs] = v
				}
			}
		}
	}
}

// groupsBytes returns the size of the weight panels of w, where vnni's
// bias corrections start.
func groupsBytes(w *PackedInt8, s *i8Shape) int {
	ks := (w.k + s.kStep - 1) / s.kStep
	return w.groups * s.panelsPerGroup(w.m/w.groups) * ks * s.stepBytes()
}

// avx2I8 is the 6×16 AVX2 kernel on int16 operands: VPMADDWD multiplies
// pairs of k values and sums them into int32 lanes, exactly.
// Its weight panels hold 16 rows, the 16 lanes of the pixel-major kernel
// (i8_gemm_amd64.go), which runs GemmInt8 whenever X's and C's columns
// are contiguous (a fully connected layer, a convolution on HWC images);
// the 6×16 kernel runs the other layouts over each panel's rows 0-5,
// 6-11 and 12-15.
var avx2I8 = &i8Shape{mr: 6, nr: 16, panelRows: 16, kStep: 2, wElem: 2, xStep: 64,
	kernel: i8Gemm6x16c2AVX2, packFull: i8Pack16c2AVX2, stageOff: [4]int32{0, 16}, pixelMajor: true}

var avx2Int8 = &int8Impl{pack: avx2I8.pack, gemm: avx2I8.gemm,
	gemmRows: avx2I8.gemmRows, tile: 16, rowRunMACs: 600}

// i8Gemm6x16c2AVX2 computes a 6×16 tile (i8_gemm_amd64.s): for ks steps it reads
// 24 bytes at w + 64s (6 rows × 2 int16 of a 16-row panel) and 64 bytes at x
// (16 columns × 2 int16), accumulates in int32, requantizes with ep, and
// stores 16 int8 per row at c + i*ldc.
//
//go:noescape
func i8Gemm6x16c2AVX2(ks int, w *int8, x *byte, c *int8, ldc int, ep *i8Epi)

// i8Pack16c2AVX2 packs ks steps of X for the AVX2 kernel: rows 2s and 2s+1
// (16 contiguous int8 each, at x+off[2s] and x+off[2s+1]) sign-extended
// and interleaved into 16 int16 pairs at dst + 64s.
//
//go:noescape
func i8Pack16c2AVX2(ks int, x *int8, off *int32, dst *byte)

// avxvnniI8 is the 6×16 AVX-VNNI kernel, for CPUs with VPDPBUSD in its VEX
// form but no AVX-512 (and so only 16 YMM registers): vnni's arithmetic,
// avx2's tile and epilogue, on 6-row panels of 4 int8 per row.
var avxvnniI8 = &i8Shape{mr: 6, nr: 16, panelRows: 6, kStep: 4, wElem: 1, xStep: 64, vnni: true,
	kernel: i8Gemm6x16c4AVXVNNI, packFull: i8Pack16c4AVXVNNI, stageOff: [4]int32{0, 16, 32, 48},
	gemvKernel: i8Gemv6c4AVXVNNI, gemvMaxN: 2}

var avxvnniInt8 = &int8Impl{pack: avxvnniI8.pack, gemm: avxvnniI8.gemm,
	gemmRows: avxvnniI8.gemmRows, tile: 16, rowRunMACs: 1200}

// i8Gemm6x16c4AVXVNNI computes a 6×16 tile (i8_gemm_amd64.s): for ks steps it
// reads 24 bytes at w (6 rows × 4 int8) and 64 bytes at x (16 columns × 4
// uint8), accumulates with VEX VPDPBUSD, requantizes with ep (bias + corr)
// and stores 16 int8 per row at c + i*ldc.
//
//go:noescape
func i8Gemm6x16c4AVXVNNI(ks int, w *int8, x *byte, c *int8, ldc int, ep *i8Epi)

// i8Pack16c4AVXVNNI packs ks steps of X for the AVX-VNNI kernel: rows 4s ...
// 4s+3 (16 contiguous int8 each, at x+off[4s] ... x+off[4s+3]) flipped to
// uint8 (+128) and transposed into 16 columns of 4 bytes at dst + 64s.
//
//go:noescape
func i8Pack16c4AVXVNNI(ks int, x *int8, off *int32, dst *byte)

// vnniI8 is the 8×32 AVX512-VNNI kernel: VPDPBUSD multiplies four
// unsigned bytes (the activations + 128) by four signed bytes (weights) and
// adds the sum to an int32 lane, exactly (wrapping like Go's int32). The +128
// adds 128*rowSum to every accumulator; pack stores -128*rowSum per row,
// which the kernel adds to the bias. Weight panels hold 16 rows so that the
// small-n kernel can read a whole panel as one ZMM of 16 output channels.
var vnniI8 = &i8Shape{mr: 8, nr: 32, panelRows: 16, kStep: 4, wElem: 1, xStep: 128, vnni: true,
	kernel: i8Gemm8x32c4VNNI, packFull: i8Pack32c4VNNI, stageOff: [4]int32{0, 32, 64, 96},
	gemvKernel: i8Gemv16c4VNNI, gemvKernel4: i8Gemv4x16c4VNNI, gemvMaxN: 8}

var vnniInt8 = &int8Impl{pack: vnniI8.pack, gemm: vnniI8.gemm,
	gemmRows: vnniI8.gemmRows, tile: 32, rowRunMACs: 2000}

// i8Gemm8x32c4VNNI computes an 8×32 tile (i8_gemm_amd64.s): for ks steps it reads
// 32 bytes at w + 64s (8 rows × 4 int8 of a 16-row panel) and 128 bytes at
// x (32 columns × 4 uint8), accumulates with VPDPBUSD, requantizes with ep
// (bias + corr) and stores 32 int8 per row at c + i*ldc.
//
//go:noescape
func i8Gemm8x32c4VNNI(ks int, w *int8, x *byte, c *int8, ldc int, ep *i8Epi)

// i8Pack32c4VNNI packs ks steps of X for the VNNI kernel: rows 4s ... 4s+3 (32
// contiguous int8 each, at x+off[4s] ... x+off[4s+3]) flipped to uint8
// (+128) and transposed into 32 columns of 4 bytes at dst + 128s.
//
//go:noescape
func i8Pack32c4VNNI(ks int, x *int8, off *int32, dst *byte)
