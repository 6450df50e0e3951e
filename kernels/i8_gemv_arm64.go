//go:build !purego

package kernels

// The int8 matrix-vector product of the neon and dotprod paths (kernels in
// i8_gemv_arm64.s), for GemmInt8 with one column: a fully connected layer at
// batch 1, where the tiled GEMM would compute 4 (neon) or 8 (dotprod)
// columns to keep one.
//
// The kernels read the weight panels as PackInt8 packed them for the GEMM
// and the column as one run of kp values, which is how a panel of columns
// holds each column in the neon layout (d = 16, one register per block) and
// what SDOT by element reads four at a time in the dotprod one (d = 4). The
// mr channels of a panel end in vector lanes, are requantized there with
// the GEMM's epilogue, and stored as mr contiguous int8.
//
// Only n == 1 takes this path, and the few columns past a GEMM's last
// full panel: for more columns the GEMM reads the weights once for all of
// them (4 or 8 per tile), while a loop over columns would read them once
// per column, and the Pi's DRAM bandwidth, not arithmetic, bounds the
// large layers (the tail's columns read them after the tiles did).

// gemv is armInt8Shape.gemm for n <= gemvMaxN: one column at a time, the
// full panels of a group in one kernel call straight into C when its rows
// are contiguous (through the tile buffer otherwise), the last partial
// panel of a group with zero-padded parameters into the tile buffer.
func (s *armInt8Shape) gemv(w *PackedInt8, x []int8, n, xRS, xCS int, rq *Requant, c []int8, cRS, cCS int) {
	k, mg, mr := w.k, w.m/w.groups, s.mr
	kp := roundUp(k, s.kAlign)
	kb := kp / s.kAlign
	pg, full := panels(mg, mr), mg/mr
	sc := armInt8Pool.Get()
	if cap(sc.x) < kp {
		sc.x = make([]int8, kp)
	}
	// Depth past k keeps old values: it meets zero weights.
	xp := sc.x[:kp]
	// A strided C takes the tile buffer's worth of panels per call.
	chunk := full
	if cRS != 1 {
		chunk = len(sc.tile) / mr
	}
	for g := range w.groups {
		wg := w.data[g*pg*mr*kp:]
		tail := mg - full*mr
		if tail > 0 {
			i0 := g*mg + full*mr
			clear(sc.bias[:])
			clear(sc.mult[:])
			clear(sc.shift[:])
			copy(sc.bias[:tail], rq.Bias[i0:])
			copy(sc.mult[:tail], rq.Multiplier[i0:])
			copy(sc.shift[:tail], rq.Shift[i0:])
		}
		for j := range n {
			o := g*k*xRS + j*xCS
			if xRS == 1 {
				copy(xp[:k], x[o:])
			} else {
				for p := range k {
					xp[p] = x[o+p*xRS]
				}
			}
			for p0 := 0; p0 < full; p0 += chunk {
				np := min(chunk, full-p0)
				i0 := g*mg + p0*mr
				co := i0*cRS + j*cCS
				wp, bias, mult, shift := &wg[p0*mr*kp], &rq.Bias[i0], &rq.Multiplier[i0], &rq.Shift[i0]
				if cRS == 1 {
					_ = c[co+np*mr-1]
					s.gemvKernel(kb, np, wp, &xp[0], bias, mult, shift, &c[co], rq.ZeroPoint, rq.Min, rq.Max)
					continue
				}
				s.gemvKernel(kb, np, wp, &xp[0], bias, mult, shift, &sc.tile[0], rq.ZeroPoint, rq.Min, rq.Max)
				for r, v := range sc.tile[:np*mr] {
					c[co+r*cRS] = v
				}
			}
			if tail > 0 {
				s.gemvKernel(kb, 1, &wg[full*mr*kp], &xp[0], &sc.bias[0], &sc.mult[0], &sc.shift[0], &sc.tile[0],
					rq.ZeroPoint, rq.Min, rq.Max)
				co := (g*mg+full*mr)*cRS + j*cCS
				for r, v := range sc.tile[:tail] {
					c[co+r*cRS] = v
				}
			}
		}
	}
	armInt8Pool.Put(sc)
}

// i8Gemv4c16NEON computes panels consecutive 4-channel panels of neon
// weights at w (kb blocks of 16 depth values, 64 bytes each) against one
// column x (kb*16 values), requantizes them with the parameters at bias,
// mult and shift (advancing 4 channels per panel) and stores 4 int8 per
// panel at out.
//
//go:noescape
func i8Gemv4c16NEON(kb, panels int, w, x *int8, bias, mult, shift *int32, out *int8, zp, lo, hi int32)

// i8Gemv8c4Dot computes panels consecutive 8-channel panels of dotprod
// weights at w (kb pairs of 4-value depth blocks, 64 bytes each) against
// one column x (kb*8 values) with SDOT by element, requantizes them with
// the parameters at bias, mult and shift (advancing 8 channels per panel)
// and stores 8 int8 per panel at out. It needs the ASIMDDP feature.
//
//go:noescape
func i8Gemv8c4Dot(kb, panels int, w, x *int8, bias, mult, shift *int32, out *int8, zp, lo, hi int32)

// dot4Dot is the dot4 field of the dotprod path: SDOT on the whole blocks
// of 16 values, the rest in Go.
func dot4Dot(w, x []int8) [4]int32 {
	k := len(x)
	blocks := k / 16
	var s [4]int32
	if blocks > 0 {
		_ = w[3*k+16*blocks-1]
		i8Dot4x16Dot(&w[0], &x[0], blocks, k, &s)
	}
	for p := 16 * blocks; p < k; p++ {
		xv := int32(x[p])
		for r := range s {
			s[r] += int32(w[r*k+p]) * xv
		}
	}
	return s
}

// i8Dot4x16Dot sets s[r] to the dot product of the first 16*blocks values
// of row r of w (rows k bytes apart) with x, r < 4 (i8_gemv_arm64.s).
//
//go:noescape
func i8Dot4x16Dot(w, x *int8, blocks, k int, s *[4]int32)
