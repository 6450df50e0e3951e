package kernels

import "math"

// This file is the pure-Go reference: always built, and the definition that
// every assembly kernel must match bit for bit.

// fma32 returns a*b+c rounded once to the nearest float32 (ties to even), the
// float32 fused multiply-add of IEEE 754 and of the VFMADD/FMLA instructions.
// math.FMA alone is not enough: it rounds to float64 first, and rounding that
// again to float32 is wrong when the first rounding lands exactly halfway
// between two float32 values. kernelGeneric inlines the same steps.
func fma32(a, b, c float32) float32 {
	s := float64(a)*float64(b) + float64(c)
	if hardBits(s)>>63 != 0 {
		return float32(fmaSlow(float64(a), float64(b), float64(c)))
	}
	return float32(s)
}

// minNormal32Bits is the bit pattern of the float64 2^-126, the smallest
// normal float32.
const minNormal32Bits = 0x3810000000000000

// hardBits returns a value with bit 63 set if rounding s to float32 might
// not give fma32(a, b, c), for s = a*b+c computed in float64 from float32
// a, b, c. The product a*b is exact in float64 (24+24 bits; fusing the
// multiply-add is harmless), so s only carries the rounding error of the
// addition, and rounding s to float32 is correct unless s sits exactly on a
// float32 rounding boundary: halfway between two normal float32 values (the
// 29 bits that float32 drops are 1000...0), or anywhere in the float32
// subnormal range (0 < |s| < 2^-126), where the boundaries lie higher.
func hardBits(s float64) uint64 {
	u := math.Float64bits(s)
	mag := int64(u &^ (1 << 63))
	return uint64((mag-minNormal32Bits)&^(mag-1)) | ((u & (1<<29 - 1)) ^ 1<<28 - 1)
}

// fmaSlow returns fma32(a, b, c) for float32 values held in float64, for
// any input. It rounds the sum to float64 "to odd" (an inexact result gets
// its last bit set) and then to float32: with 53 >= 24+2 bits, this double
// rounding is correct. The result is a float32 value held in a float64.
//
//go:noinline
func fmaSlow(a, b, c float64) float64 {
	p := a * b // exact
	s := p + c
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return float64(float32(s))
	}
	// Knuth's TwoSum: err is the exact rounding error, p+c = s+err.
	bv := s - p
	err := (p - (s - bv)) + (c - bv)
	u := math.Float64bits(s)
	if err != 0 && u&1 == 0 {
		// s != 0 here: a zero sum is always exact.
		if (err > 0) == (s > 0) {
			u++ // away from zero, towards p+c
		} else {
			u-- // towards zero
		}
	}
	return float64(float32(math.Float64frombits(u)))
}

// epilogue returns the final C element for an accumulated acc, as defined in
// the package documentation. The float32 conversions keep the compiler from
// fusing the two products and the sum into an FMA.
func epilogue(acc, alpha, beta, c float32) float32 {
	if beta == 0 {
		return alpha * acc
	}
	return float32(alpha*acc) + float32(beta*c)
}

// Generic micro-kernel tile: genMR rows by genNR columns of C.
const (
	genMR = 4
	genNR = 4
)

var genericShape = &gemmShape{mr: genMR, nr: genNR, kernel: kernelGeneric}

func sgemmGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmBlocked(genericShape, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// kernelGeneric computes a genMR×genNR tile: C[i][j] = epilogue(Σ_p ap·bp)
// with ap a packed A panel (genMR values per p) and bp a B panel whose rows
// (genNR values per p) are bs apart. The accumulators are float64 holding
// float32 values. Each step p computes the 16 sums a*b+acc in float64, then
// checks them at once with hardBits: if none is hard, rounding each to
// float32 is the exact FMA (see hardBits); otherwise the step is redone with
// fmaSlow.
func kernelGeneric(k int, ap, bp []float32, bs int, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03 float64
	var c10, c11, c12, c13 float64
	var c20, c21, c22, c23 float64
	var c30, c31, c32, c33 float64
	ap = ap[:k*genMR]
	for p := range k {
		av := ap[p*genMR : p*genMR+genMR : p*genMR+genMR]
		bv := bp[p*bs : p*bs+genNR : p*bs+genNR]
		b0, b1, b2, b3 := float64(bv[0]), float64(bv[1]), float64(bv[2]), float64(bv[3])
		a0 := float64(av[0])
		s00, s01, s02, s03 := a0*b0+c00, a0*b1+c01, a0*b2+c02, a0*b3+c03
		a1 := float64(av[1])
		s10, s11, s12, s13 := a1*b0+c10, a1*b1+c11, a1*b2+c12, a1*b3+c13
		a2 := float64(av[2])
		s20, s21, s22, s23 := a2*b0+c20, a2*b1+c21, a2*b2+c22, a2*b3+c23
		a3 := float64(av[3])
		s30, s31, s32, s33 := a3*b0+c30, a3*b1+c31, a3*b2+c32, a3*b3+c33
		if (hardBits(s00)|hardBits(s01)|hardBits(s02)|hardBits(s03)|hardBits(s10)|hardBits(s11)|hardBits(s12)|hardBits(s13)|hardBits(s20)|hardBits(s21)|hardBits(s22)|hardBits(s23)|hardBits(s30)|hardBits(s31)|hardBits(s32)|hardBits(s33))>>63 == 0 {
			c00, c01, c02, c03 = round32(s00), round32(s01), round32(s02), round32(s03)
			c10, c11, c12, c13 = round32(s10), round32(s11), round32(s12), round32(s13)
			c20, c21, c22, c23 = round32(s20), round32(s21), round32(s22), round32(s23)
			c30, c31, c32, c33 = round32(s30), round32(s31), round32(s32), round32(s33)
		} else {
			c00, c01, c02, c03 = fmaSlow(a0, b0, c00), fmaSlow(a0, b1, c01), fmaSlow(a0, b2, c02), fmaSlow(a0, b3, c03)
			c10, c11, c12, c13 = fmaSlow(a1, b0, c10), fmaSlow(a1, b1, c11), fmaSlow(a1, b2, c12), fmaSlow(a1, b3, c13)
			c20, c21, c22, c23 = fmaSlow(a2, b0, c20), fmaSlow(a2, b1, c21), fmaSlow(a2, b2, c22), fmaSlow(a2, b3, c23)
			c30, c31, c32, c33 = fmaSlow(a3, b0, c30), fmaSlow(a3, b1, c31), fmaSlow(a3, b2, c32), fmaSlow(a3, b3, c33)
		}
	}
	storeRow(c[0*ldc:], c00, c01, c02, c03, alpha, beta)
	storeRow(c[1*ldc:], c10, c11, c12, c13, alpha, beta)
	storeRow(c[2*ldc:], c20, c21, c22, c23, alpha, beta)
	storeRow(c[3*ldc:], c30, c31, c32, c33, alpha, beta)
}

func storeRow(c []float32, x0, x1, x2, x3 float64, alpha, beta float32) {
	c = c[:4]
	c[0] = epilogue(float32(x0), alpha, beta, c[0])
	c[1] = epilogue(float32(x1), alpha, beta, c[1])
	c[2] = epilogue(float32(x2), alpha, beta, c[2])
	c[3] = epilogue(float32(x3), alpha, beta, c[3])
}

// round32 rounds s to float32 and back.
func round32(s float64) float64 { return float64(float32(s)) }

// gemmKernel computes one mr×nr tile of C from a packed A panel ap (mr values
// per step p) and a B panel bp whose rows of nr values are bs apart (bs == nr
// when packed, ldb when read in place), k steps, then applies the epilogue
// with leading dimension ldc. It may assume k >= 1 and a full tile.
type gemmKernel func(k int, ap, bp []float32, bs int, c []float32, ldc int, alpha, beta float32)

// gemmShape describes a micro-kernel to sgemmBlocked.
type gemmShape struct {
	mr, nr int
	kernel gemmKernel
}

// gemmScratch holds the packing buffers of one Sgemm call; they are reused
// through scratchPool, so steady-state calls allocate nothing.
type gemmScratch struct {
	a, b, tile []float32
}

var scratchPool = newFreeList(func() *gemmScratch { return new(gemmScratch) }, func(d, s *gemmScratch) {
	fitSlice(&d.a, s.a)
	fitSlice(&d.b, s.b)
	fitSlice(&d.tile, s.tile)
})

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// Cache blocking: an A block holds about blockA floats (mc rows by all of
// k), a B block about blockB floats.
const (
	blockA = 1 << 16 // 256 KiB
	blockB = 1 << 18 // 1 MiB
)

// sgemmBlocked is the driver shared by every path: it walks C in blocks of
// nc columns and mc rows, packs op(A) and op(B) into zero-padded panels in the
// micro-kernel's layout, and calls the kernel on each mr×nr tile. Tiles that
// stick out of C go through a small buffer. K is not blocked, so each C
// element is one sequential chain of k FMAs in every path.
func sgemmBlocked(s *gemmShape, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmPanels(s, transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
}

// sgemmPanels is sgemmBlocked with op(B) already packed into panels when
// packed is not nil (PackF32's layout: panel q of nr columns at
// packed[q*nr*k:]); b is not read then.
func sgemmPanels(s *gemmShape, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, packed []float32, beta float32, c []float32, ldc int) {
	mr, nr := s.mr, s.nr
	mc := min(roundUp(max(blockA/k, 1), mr), roundUp(m, mr))
	nc := min(roundUp(max(blockB/k, 1), nr), roundUp(n, nr))
	// With few rows, B is read by few A panels; with a short k, a strip of
	// nr columns of B (k*nr floats) stays in L1 while every A panel reads
	// it: then read B in place instead of packing it (only full panels;
	// the ragged last one is still packed). ResNet's first 3×3
	// convolutions (m = 64, k = 576) take 0.6x the time so. But not when
	// B's rows lie a multiple of 4 KiB apart (the trainer's batched
	// convolutions over 32x32, 16x16 and 8x8 planes): then every row of
	// a strip falls in the same cache sets, a few ways for k rows, and
	// the strip misses for every A panel; packing costs less
	// (BenchmarkSgemmPowerOfTwoStride).
	direct := !transB && packed == nil && (m <= 4*mr || k*nr <= directStrip) && ldb%conflictStride != 0

	sc := scratchPool.Get()
	sc.a = grow(sc.a, mc*k)
	if packed == nil {
		sc.b = grow(sc.b, nc*k)
	}
	sc.tile = grow(sc.tile, mr*nr)
	ap, bp, tile := sc.a, sc.b, sc.tile

	for j0 := 0; j0 < n; j0 += nc {
		ncur := min(nc, n-j0)
		nfull := ncur
		switch {
		case packed != nil:
			bp = packed[j0*k:]
		case direct:
			nfull = ncur / nr * nr
			packB(transB, b, ldb, j0+nfull, ncur-nfull, k, nr, bp)
		default:
			packB(transB, b, ldb, j0, ncur, k, nr, bp)
		}
		for i0 := 0; i0 < m; i0 += mc {
			mcur := min(mc, m-i0)
			packA(transA, a, lda, i0, mcur, k, mr, ap)
			for jj := 0; jj < ncur; jj += nr {
				var bpan []float32
				bs := nr
				switch {
				case jj < nfull && direct:
					bpan, bs = b[j0+jj:], ldb
				case direct:
					bpan = bp[(jj-nfull)*k:]
				default:
					bpan = bp[jj*k:]
				}
				nt := min(nr, ncur-jj)
				for ii := 0; ii < mcur; ii += mr {
					apan := ap[ii*k:]
					mt := min(mr, mcur-ii)
					ci := (i0+ii)*ldc + j0 + jj
					if mt == mr && nt == nr {
						s.kernel(k, apan, bpan, bs, c[ci:], ldc, alpha, beta)
						continue
					}
					if beta != 0 {
						for i := range mt {
							copy(tile[i*nr:i*nr+nt], c[ci+i*ldc:ci+i*ldc+nt])
						}
					}
					s.kernel(k, apan, bpan, bs, tile, nr, alpha, beta)
					for i := range mt {
						copy(c[ci+i*ldc:ci+i*ldc+nt], tile[i*nr:i*nr+nt])
					}
				}
			}
		}
	}
	scratchPool.Put(sc)
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// packA copies rows i0 ... i0+rows-1 of op(A) (all k columns) into dst as
// panels of mr rows: panel q holds row i0+q*mr+r, column p at
// dst[q*mr*k + p*mr + r]. Rows past the end are zero.
func packA(trans bool, a []float32, lda, i0, rows, k, mr int, dst []float32) {
	for q := 0; q*mr < rows; q++ {
		pan := dst[q*mr*k : (q+1)*mr*k]
		h := min(mr, rows-q*mr)
		r0 := i0 + q*mr
		if h < mr {
			clear(pan)
		}
		if trans {
			// op(A)[r][p] = A[p][r]: each row of A gives one step p.
			if h == mr && copySteps(pan, a, lda, r0, k, mr) {
				continue
			}
			for p := range k {
				copy(pan[p*mr:p*mr+h], a[p*lda+r0:p*lda+r0+h])
			}
			continue
		}
		if h == mr && packRows(pan, a, lda, r0, k, mr) {
			continue
		}
		for r := range h {
			row := a[(r0+r)*lda : (r0+r)*lda+k]
			for p, v := range row {
				pan[p*mr+r] = v
			}
		}
	}
}

// packRows interleaves the mr rows r0 ... r0+mr-1 of A (k columns) into
// pan, column p at pan[p*mr : p*mr+mr], for the tile heights of the paths,
// a column at a time; it returns false for any other mr.
func packRows(pan, a []float32, lda, r0, k, mr int) bool {
	row := func(r int) []float32 { return a[(r0+r)*lda : (r0+r)*lda+k] }
	switch mr {
	case 4:
		a0, a1, a2, a3 := row(0), row(1), row(2), row(3)
		for p := range k {
			d := pan[p*4 : p*4+4 : p*4+4]
			d[0], d[1], d[2], d[3] = a0[p], a1[p], a2[p], a3[p]
		}
	case 6:
		a0, a1, a2, a3, a4, a5 := row(0), row(1), row(2), row(3), row(4), row(5)
		for p := range k {
			d := pan[p*6 : p*6+6 : p*6+6]
			d[0], d[1], d[2], d[3], d[4], d[5] = a0[p], a1[p], a2[p], a3[p], a4[p], a5[p]
		}
	case 8:
		a0, a1, a2, a3, a4, a5, a6, a7 := row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)
		for p := range k {
			d := pan[p*8 : p*8+8 : p*8+8]
			d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = a0[p], a1[p], a2[p], a3[p], a4[p], a5[p], a6[p], a7[p]
		}
	case 12:
		a0, a1, a2, a3, a4, a5, a6, a7 := row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)
		a8, a9, a10, a11 := row(8), row(9), row(10), row(11)
		for p := range k {
			d := pan[p*12 : p*12+12 : p*12+12]
			d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = a0[p], a1[p], a2[p], a3[p], a4[p], a5[p], a6[p], a7[p]
			d[8], d[9], d[10], d[11] = a8[p], a9[p], a10[p], a11[p]
		}
	default:
		return false
	}
	return true
}

// copySteps copies k steps of mr values, a[p*lda+r0:][:mr] to
// pan[p*mr:][:mr], value by value for the tile heights of the paths (a call
// of copy, or of the runtime's memmove for an array move, per step costs
// more than the move); it returns false for any other mr.
func copySteps(pan, a []float32, lda, r0, k, mr int) bool {
	switch mr {
	case 6:
		for p := range k {
			d, s := pan[p*6:p*6+6:p*6+6], a[p*lda+r0:p*lda+r0+6:p*lda+r0+6]
			d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
		}
	case 8:
		for p := range k {
			d, s := pan[p*8:p*8+8:p*8+8], a[p*lda+r0:p*lda+r0+8:p*lda+r0+8]
			d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
		}
	case 12:
		for p := range k {
			d, s := pan[p*12:p*12+12:p*12+12], a[p*lda+r0:p*lda+r0+12:p*lda+r0+12]
			d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
			d[8], d[9], d[10], d[11] = s[8], s[9], s[10], s[11]
		}
	default:
		return false
	}
	return true
}

// packB copies columns j0 ... j0+cols-1 of op(B) (all k rows) into dst as
// panels of nr columns: panel q holds column j0+q*nr+j, row p at
// dst[q*nr*k + p*nr + j]. Columns past the end are zero.
func packB(trans bool, b []float32, ldb, j0, cols, k, nr int, dst []float32) {
	for q := 0; q*nr < cols; q++ {
		pan := dst[q*nr*k : (q+1)*nr*k]
		w := min(nr, cols-q*nr)
		c0 := j0 + q*nr
		if w < nr {
			clear(pan)
		}
		if !trans {
			for p := range k {
				copy(pan[p*nr:p*nr+w], b[p*ldb+c0:p*ldb+c0+w])
			}
			continue
		}
		// op(B)[p][j] = B[j][p]: each row of B gives one column, four
		// at a time so that each step p writes four adjacent values.
		j := 0
		for ; j+4 <= w; j += 4 {
			b0 := b[(c0+j)*ldb : (c0+j)*ldb+k]
			b1 := b[(c0+j+1)*ldb:][:len(b0)]
			b2 := b[(c0+j+2)*ldb:][:len(b0)]
			b3 := b[(c0+j+3)*ldb:][:len(b0)]
			for p, v := range b0 {
				d := pan[p*nr+j : p*nr+j+4 : p*nr+j+4]
				d[0], d[1], d[2], d[3] = v, b1[p], b2[p], b3[p]
			}
		}
		for ; j < w; j++ {
			row := b[(c0+j)*ldb : (c0+j)*ldb+k]
			for p, v := range row {
				pan[p*nr+j] = v
			}
		}
	}
}

// validRange returns the output indices [lo, hi) whose input index
// o*s+off lies in [0, n).
func validRange(outN, s, off, n int) (lo, hi int) {
	lo = 0
	if off < 0 {
		lo = (-off + s - 1) / s
	}
	hi = 0
	if n-off > 0 {
		hi = (n - off + s - 1) / s // first o with o*s+off >= n
	}
	hi = min(hi, outN)
	lo = min(lo, hi)
	return lo, hi
}

func maxPoolGeneric(src, dst []float32, g ConvGeom) {
	for c := range g.C {
		img := src[c*g.H*g.W : (c+1)*g.H*g.W]
		out := dst[c*g.OutH*g.OutW : (c+1)*g.OutH*g.OutW]
		for oh := range g.OutH {
			h0, h1 := max(oh*g.SH-g.PadT, 0), min(oh*g.SH-g.PadT+g.KH, g.H)
			for ow := range g.OutW {
				out[oh*g.OutW+ow] = maxPoolF32Window(img, g, h0, h1, ow)
			}
		}
	}
}

// maxPoolF32Window is MaxPoolF32's output column ow of the window rows
// [h0, h1) of one channel img: the first cell inside the image, replaced
// only by a strictly greater one in window order; 0 for a window all
// padding.
func maxPoolF32Window(img []float32, g ConvGeom, h0, h1, ow int) float32 {
	w0, w1 := max(ow*g.SW-g.PadL, 0), min(ow*g.SW-g.PadL+g.KW, g.W)
	m := float32(0)
	first := true
	for ih := h0; ih < h1; ih++ {
		for _, v := range img[ih*g.W+w0 : ih*g.W+max(w0, w1)] {
			if first || v > m {
				m, first = v, false
			}
		}
	}
	return m
}

func avgPoolGeneric(src, dst []float32, g ConvGeom) {
	for c := range g.C {
		img := src[c*g.H*g.W : (c+1)*g.H*g.W]
		out := dst[c*g.OutH*g.OutW : (c+1)*g.OutH*g.OutW]
		for oh := range g.OutH {
			h0, h1 := max(oh*g.SH-g.PadT, 0), min(oh*g.SH-g.PadT+g.KH, g.H)
			for ow := range g.OutW {
				w0, w1 := max(ow*g.SW-g.PadL, 0), min(ow*g.SW-g.PadL+g.KW, g.W)
				var sum float32
				for ih := h0; ih < h1; ih++ {
					for _, v := range img[ih*g.W+w0 : ih*g.W+max(w0, w1)] {
						sum += v
					}
				}
				n := max(h1-h0, 0) * max(w1-w0, 0)
				if n == 0 {
					out[oh*g.OutW+ow] = 0
					continue
				}
				out[oh*g.OutW+ow] = sum / float32(n)
			}
		}
	}
}

func biasClampGeneric(x []float32, rows, cols, ldx int, bias []float32, byCol bool, lo, hi float32) {
	for i := range rows {
		row := x[i*ldx : i*ldx+cols]
		var bi float32
		if bias != nil && !byCol {
			bi = bias[i]
		}
		for j, v := range row {
			if bias != nil && byCol {
				bi = bias[j]
			}
			v += bi
			v = max(v, lo)
			v = min(v, hi)
			row[j] = v
		}
	}
}

// directStrip is the most floats of a strip of B that sgemmPanels reads in
// place for any number of rows: 48 KiB, L1 on the cores we measure.
var directStrip = 12 << 10

// conflictStride, in floats, is 4 KiB, the span of an L1 cache's sets:
// lines that far apart compete for one set's few ways.
const conflictStride = 1 << 10
