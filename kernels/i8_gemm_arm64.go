//go:build !purego

package kernels

import "math"

// The int8 GEMM of the arm64 paths, ruy style: the weights are packed once
// (PackInt8) into panels of mr output channels, the activations per call
// into panels of nr columns, and an assembly micro-kernel (i8_gemm_arm64.s)
// computes each mr×nr tile of int32 accumulators and requantizes it in NEON
// registers. Both panels interleave depth in blocks of d values: for panel
// row (channel or column) r and depth p, the value sits at
//
//	(p/d)*rows*d + r*d + p%d        rows = mr (weights) or nr (activations)
//
// with depth padded with zeros to a multiple of kAlign (one loop iteration).
// Panels never straddle groups: each group's channels start a new panel.

// armInt8Shape is one arm64 int8 micro-kernel with its packed layout.
type armInt8Shape struct {
	mr, nr int // tile: output channels (rows of W) by columns of X
	d      int // depth values per interleaved block
	kAlign int // depth consumed per loop iteration of the kernel
	// kernel computes tiles >= 1 tiles side by side, from kb*kAlign depth
	// values of the panel w and of the panels of x that follow each other
	// from x, requantizes them with the mr channel parameters at bias,
	// mult and shift, and stores the int8 result of channel i, column j
	// (counted across the tiles) at out[i*rs + j*cs], where cs == 1 (rows
	// of the tile are stored) or rs == 1 (columns are stored). left is 0
	// when every channel's shift is negative (a right shift): the
	// epilogue then skips the saturating left shift (a no-op for them)
	// and the rounding's test for a zero right shift. One call
	// for a row of tiles saves the Go loop and the call per tile, most of
	// the cost of a tile when the depth is small (a 1×1 convolution on 16
	// channels).
	kernel func(kb int, w, x *int8, bias, mult, shift *int32, out *int8, rs, cs int, zp, lo, hi int32, tiles, left int)
	// packRows packs blocks × panels tiles of X whose rows are contiguous
	// (i8_pack_arm64.s): block b is rows b*d ... b*d+d-1, row p read from
	// x + base + off[p], panel q its columns q*nr ... q*nr+nr-1, stored
	// at dst + q*pstride + b*nr*d. blocks and panels are at least 1.
	packRows func(blocks, panels int, x *int8, base int, off *int32, dst *int8, pstride int)
	// packCols packs chunks*16 depth values of panels full panels of X
	// whose columns are contiguous (i8_pack_arm64.s): column j at x + j*xcs,
	// panel q at dst + q*pstride.
	packCols func(chunks, panels int, x *int8, xcs int, dst *int8, pstride int)
	// packHalf, if not nil, packs 8 depth values (two blocks of d = 4) of
	// panels full panels of X whose columns are contiguous, as packCols
	// packs a chunk: a depth of 24 needs no Go loop.
	packHalf func(panels int, x *int8, xcs int, dst *int8, pstride int)
	// gemvKernel is the matrix-vector kernel (i8_gemv_arm64.go) that gemm
	// runs instead of the tiles when n <= gemvMaxN, and for a few columns
	// past the last full panel.
	gemvKernel func(kb, panels int, w, x *int8, bias, mult, shift *int32, out *int8, zp, lo, hi int32)
	gemvMaxN   int
}

// neon (Cortex-A72): 4×4 tiles, 16 depth values per block, so that each
// 16-byte register holds one channel's (or column's) depth run for
// SMULL/SMLAL2/SADALP.
var neon4x4 = &armInt8Shape{mr: 4, nr: 4, d: 16, kAlign: 16, kernel: i8Gemm4x4c16NEON, packRows: i8PackRows4c16NEON, packCols: i8PackCols4c16NEON,
	gemvKernel: i8Gemv4c16NEON, gemvMaxN: 1}

// dotprod (Cortex-A76): 8×8 tiles, 4 depth values per block (one SDOT lane
// group), two blocks per loop iteration.
var dot8x8 = &armInt8Shape{mr: 8, nr: 8, d: 4, kAlign: 8, kernel: i8Gemm8x8c4Dot, packRows: i8PackRows8c4Dot, packCols: i8PackCols8c4Dot,
	packHalf: i8PackHalf8c4Dot, gemvKernel: i8Gemv8c4Dot, gemvMaxN: 1}

var (
	neonInt8 = &int8Impl{pack: neon4x4.pack, gemm: neon4x4.gemm,
		gemmRows: neon4x4.gemmRows, tile: 4, rowRunMACs: 600}
	dotprodInt8 = &int8Impl{pack: dot8x8.pack, gemm: dot8x8.gemm,
		gemmRows: dot8x8.gemmRows, tile: 8, rowRunMACs: 1600}
)

// i8Gemm4x4c16NEON is the 4×4 kernel of the neon path: SMULL, SMLAL2 and SADALP
// over blocks of 16 depth values (kb blocks), then the requantize epilogue.
//
//go:noescape
func i8Gemm4x4c16NEON(kb int, w, x *int8, bias, mult, shift *int32, out *int8, rs, cs int, zp, lo, hi int32, tiles, left int)

// i8Gemm8x8c4Dot is the 8×8 kernel of the dotprod path: SDOT by element over
// kb pairs of 4-value depth blocks, then the requantize epilogue. It needs
// the ASIMDDP feature.
//
//go:noescape
func i8Gemm8x8c4Dot(kb int, w, x *int8, bias, mult, shift *int32, out *int8, rs, cs int, zp, lo, hi int32, tiles, left int)

// i8PackRows4c16NEON is packRows of the neon path: LD4 to one lane splits 4
// bytes of each of 16 rows into the 4 columns of a panel.
//
//go:noescape
func i8PackRows4c16NEON(blocks, panels int, x *int8, base int, off *int32, dst *int8, pstride int)

// i8PackRows8c4Dot is packRows of the dotprod path: ST4 interleaves 8 bytes of
// each of 4 rows into the 8 columns of a panel.
//
//go:noescape
func i8PackRows8c4Dot(blocks, panels int, x *int8, base int, off *int32, dst *int8, pstride int)

// i8PackCols4c16NEON is packCols of the neon path: each chunk is one block, the
// 16 bytes of each of the 4 columns in turn.
//
//go:noescape
func i8PackCols4c16NEON(chunks, panels int, x *int8, xcs int, dst *int8, pstride int)

// i8PackCols8c4Dot is packCols of the dotprod path: each chunk is four blocks,
// and each block gathers 4 bytes of each of the 8 columns (TRN1/TRN2).
//
//go:noescape
func i8PackCols8c4Dot(chunks, panels int, x *int8, xcs int, dst *int8, pstride int)

// i8PackHalf8c4Dot is packHalf of the dotprod path: two blocks of 4 bytes
// of each of the 8 columns, transposed as i8PackCols8c4Dot does.
//
//go:noescape
func i8PackHalf8c4Dot(panels int, x *int8, xcs int, dst *int8, pstride int)

// panels returns the number of panels of size rows needed for n rows.
func panels(n, size int) int { return (n + size - 1) / size }

// pack implements int8Impl.pack.
func (s *armInt8Shape) pack(w []int8, m, k, groups int) []int8 {
	mg := m / groups
	pg := panels(mg, s.mr)
	kp := roundUp(k, s.kAlign)
	out := make([]int8, groups*pg*s.mr*kp)
	blk := s.mr * s.d
	for g := range groups {
		for q := range pg {
			pan := out[(g*pg+q)*s.mr*kp:][:s.mr*kp]
			for r := range min(s.mr, mg-q*s.mr) {
				row := w[(g*mg+q*s.mr+r)*k:][:k]
				for p, v := range row {
					pan[(p/s.d)*blk+r*s.d+p%s.d] = v
				}
			}
		}
	}
	return out
}

// packX packs the n columns of the k×n matrix at x[base] (element (p, j) at
// base + p*xRS + j*xCS, or at base + off[p] + j when off is not nil, off
// ascending) into panels of nr columns, kp depth values each. Depth past k
// and columns past n hold whatever is there or was read from x: the weights
// there are zero, and those columns' results are discarded.
func (s *armInt8Shape) packX(sc *armInt8Scratch, x []int8, base int, off []int32, k, n, xRS, xCS, kp int, dst []int8) {
	nr, d := s.nr, s.d
	blk := nr * d
	switch {
	case off == nil && xRS == 1: // columns are contiguous: runs of d values
		// The full panels' chunks of 16 depth values in assembly, and a
		// tail after them: a chunk that may run past k when the panel has
		// room for it, or on dotprod 8 values (two blocks); the rest (a
		// partial last panel, the last depth values of panels whose tail
		// would read past x) in Go. Depth values past k meet zero weights.
		nfull, chunks := n/nr, k/16
		tail := 0
		switch {
		case k == chunks*16:
		case s.packHalf != nil && k-chunks*16 <= 8:
			tail = 8
		case roundUp(k, 16) <= kp:
			tail = 16
		}
		reach := chunks*16 + tail
		nPast := 0
		if tail > 0 && len(x)-base >= reach {
			nPast = min(nfull, ((len(x)-base-reach)/xCS+1)/nr)
		}
		if nPast > 0 {
			_ = x[base+(nPast*nr-1)*xCS+reach-1]
			_ = dst[(nPast-1)*nr*kp+reach*nr-1]
			if tail == 8 {
				if chunks > 0 {
					s.packCols(chunks, nPast, &x[base], xCS, &dst[0], nr*kp)
				}
				s.packHalf(nPast, &x[base+chunks*16], xCS, &dst[chunks*16*nr], nr*kp)
			} else {
				s.packCols(chunks+1, nPast, &x[base], xCS, &dst[0], nr*kp)
			}
		}
		if nfull > nPast && chunks > 0 {
			_ = x[base+(nfull*nr-1)*xCS+chunks*16-1]
			_ = dst[(nfull-1)*nr*kp+chunks*16*nr-1]
			s.packCols(chunks, nfull-nPast, &x[base+nPast*nr*xCS], xCS, &dst[nPast*nr*kp], nr*kp)
		}
		// Columns the assembly packed whole need nothing more.
		j0 := nPast * nr
		if tail == 0 {
			j0 = nfull * nr
		}
		for j := j0; j < n; j++ {
			p0 := 0
			if j < nfull*nr {
				p0 = chunks * 16
			}
			col := x[base+j*xCS:][:k]
			pan := dst[(j/nr)*nr*kp+(j%nr)*d:]
			for p := p0; p < k; p += d {
				// A loop, not copy: runs of d (4 or 16) bytes or fewer
				// cost more as calls of memmove (the stem's 27 values
				// per column leave 11 here).
				run := pan[(p/d)*blk:][:d]
				for i, v := range col[p:min(k, p+d)] {
					run[i] = v
				}
			}
		}
	case off != nil: // rows are contiguous: the assembly packer, d rows at a time
		// The packer reads nr columns per panel, so the last panel's reads
		// pass column n-1: rows whose whole panels lie inside x (usually
		// all; else a prefix, as the offsets ascend, found by bisection)
		// read them in place, the rest read only the full panels and leave
		// the last one's n-nf columns to the loop at the end. The first and
		// last rows bound every read.
		nf := n &^ (nr - 1)
		na := roundUp(n, nr)
		_ = x[base+int(off[0])]
		_ = x[base+int(off[k-1])+n-1]
		_ = dst[(na/nr)*nr*kp-1]
		in := k
		if base+int(off[k-1])+na > len(x) {
			in = 0
			for hi := k - 1; in < hi; {
				if h := int(uint(in+hi) >> 1); base+int(off[h])+na <= len(x) {
					in = h + 1
				} else {
					hi = h
				}
			}
		}
		// Full blocks below bIn read na columns, the others nf; a partial
		// last block reads its rows through sc.tailOff, which repeats row
		// k-1 past k.
		kd, bIn := k/d, in/d
		pstride := nr * kp
		if bIn > 0 {
			s.packRows(bIn, na/nr, &x[0], base, &off[0], &dst[0], pstride)
		}
		if kd > bIn && nf > 0 {
			s.packRows(kd-bIn, nf/nr, &x[0], base, &off[bIn*d], &dst[bIn*blk], pstride)
		}
		if k > kd*d {
			t := sc.tailOff[:d]
			rest := t[copy(t, off[kd*d:k]):]
			for i := range rest {
				rest[i] = off[k-1]
			}
			cols := nf
			if in == k {
				cols = na
			}
			if cols > 0 {
				s.packRows(1, cols/nr, &x[0], base, &t[0], &dst[kd*blk], pstride)
			}
		}
		if in < k {
			for p := bIn * d; p < k; p++ {
				pan := dst[(nf/nr)*pstride+(p/d)*blk+p%d:]
				for jj, v := range x[base+int(off[p])+nf:][:n-nf] {
					pan[jj*d] = v
				}
			}
		}
	default: // strided columns, or rows too far apart for int32 offsets
		for j := range n {
			pan := dst[(j/nr)*nr*kp+(j%nr)*d:]
			for p := range k {
				pan[(p/d)*blk+p%d] = x[base+p*xRS+j*xCS]
			}
		}
	}
}

// armInt8Scratch is the per-call buffer of the arm64 int8 GEMM.
type armInt8Scratch struct {
	x                 []int8    // packed activations of one group
	off               []int32   // row offsets of a strided X: p*xRS
	tailOff           [16]int32 // row offsets of packX's partial last depth block
	tile              [64]int8  // one tile of results, column by column
	bias, mult, shift [8]int32  // parameters of a partial channel panel
}

var armInt8Pool = newFreeList(func() *armInt8Scratch { return new(armInt8Scratch) }, func(d, s *armInt8Scratch) {
	fitSlice(&d.x, s.x)
	fitSlice(&d.off, s.off)
})

// gemm implements int8Impl.gemm.
func (s *armInt8Shape) gemm(w *PackedInt8, x []int8, n, xRS, xCS int, rq *Requant, c []int8, cRS, cCS int) {
	if n <= s.gemvMaxN {
		s.gemv(w, x, n, xRS, xCS, rq, c, cRS, cCS)
		return
	}
	// Up to nr/2 columns past the last full panel (a 7×7 map's 49th
	// pixel) are matrix-vector products: a tile would compute nr columns
	// to keep them, and the GEMV costs about twice a tile's column.
	if t := n % s.nr; t > 0 && 2*t <= s.nr && n > s.nr {
		s.multiply(w, x, 0, nil, n-t, xRS, xCS, rq, c, cRS, cCS)
		s.gemv(w, x[(n-t)*xCS:], t, xRS, xCS, rq, c[(n-t)*cCS:], cRS, cCS)
		return
	}
	s.multiply(w, x, 0, nil, n, xRS, xCS, rq, c, cRS, cCS)
}

// gemmRows implements int8Impl.gemmRows: one multiply per segment.
func (s *armInt8Shape) gemmRows(w *PackedInt8, x []int8, off []int32, n, segs, xSeg int, rq *Requant, c []int8, cRS, cSeg int) {
	for seg := range segs {
		s.multiply(w, x, seg*xSeg, off, n, 0, 1, rq, c[seg*cSeg:], cRS, 1)
	}
}

// multiply computes C = requant(W·X) for X as packX reads it from x[base].
func (s *armInt8Shape) multiply(w *PackedInt8, x []int8, base int, off []int32, n, xRS, xCS int, rq *Requant, c []int8, cRS, cCS int) {
	k, mg := w.k, w.m/w.groups
	mr, nr := s.mr, s.nr
	kp := roundUp(k, s.kAlign)
	pg, np := panels(mg, mr), panels(n, nr)
	sc := armInt8Pool.Get()
	if cap(sc.x) < np*nr*kp {
		sc.x = make([]int8, np*nr*kp)
	}
	xp := sc.x[:np*nr*kp]
	// A strided X with contiguous rows goes to packX as a table of row
	// offsets, like the direct convolution's, when they fit in int32.
	if off == nil && xCS == 1 && xRS != 1 && (k-1)*xRS <= math.MaxInt32 {
		if cap(sc.off) < k {
			sc.off = make([]int32, k)
		}
		off = sc.off[:k]
		for p := range off {
			off[p] = int32(p * xRS)
		}
	}
	tile := sc.tile[:mr*nr]
	kb := kp / s.kAlign
	for g := range w.groups {
		s.packX(sc, x, base+g*k*xRS, off, k, n, xRS, xCS, kp, xp)
		for q := range pg {
			i0 := g*mg + q*mr
			mt := min(mr, (g+1)*mg-i0)
			bias, mult, shift := &rq.Bias[i0], &rq.Multiplier[i0], &rq.Shift[i0]
			if mt < mr {
				clear(sc.bias[:])
				clear(sc.mult[:])
				clear(sc.shift[:])
				copy(sc.bias[:], rq.Bias[i0:i0+mt])
				copy(sc.mult[:], rq.Multiplier[i0:i0+mt])
				copy(sc.shift[:], rq.Shift[i0:i0+mt])
				bias, mult, shift = &sc.bias[0], &sc.mult[0], &sc.shift[0]
			}
			left := 0 // whether a channel of the panel does not shift right
			for _, v := range rq.Shift[i0 : i0+mt] {
				if v >= 0 {
					left = 1
				}
			}
			wp := &w.data[(g*pg+q)*mr*kp]
			jp0 := 0
			// Full tiles go straight to C, in one call, when their rows or
			// their columns are contiguous there.
			if full := n / nr; mt == mr && full > 0 && (cCS == 1 && cRS >= nr || cRS == 1 && cCS >= mr) {
				s.kernel(kb, wp, &xp[0], bias, mult, shift, &c[i0*cRS], cRS, cCS, rq.ZeroPoint, rq.Min, rq.Max, full, left)
				jp0 = full
			}
			for jp := jp0; jp < np; jp++ {
				j0 := jp * nr
				nt := min(nr, n-j0)
				xj := &xp[jp*nr*kp]
				if cCS == 1 && nr >= 8 {
					// The tile row-major, each row of C one copy (with
					// rows of 4, the copies cost more than the loop).
					s.kernel(kb, wp, xj, bias, mult, shift, &tile[0], nr, 1, rq.ZeroPoint, rq.Min, rq.Max, 1, left)
					for ii := range mt {
						copy(c[(i0+ii)*cRS+j0:][:nt], tile[ii*nr:][:nt])
					}
					continue
				}
				s.kernel(kb, wp, xj, bias, mult, shift, &tile[0], 1, mr, rq.ZeroPoint, rq.Min, rq.Max, 1, left)
				if cCS == 1 {
					for ii := range mt {
						row := c[(i0+ii)*cRS+j0:][:nt]
						for jj := range row {
							row[jj] = tile[jj*mr+ii]
						}
					}
					continue
				}
				for jj := range nt {
					t := tile[jj*mr:][:mt]
					o := i0*cRS + (j0+jj)*cCS
					for ii, v := range t {
						c[o+ii*cRS] = v
					}
				}
			}
		}
	}
	armInt8Pool.Put(sc)
}
