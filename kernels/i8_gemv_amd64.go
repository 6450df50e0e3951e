//go:build !purego

package kernels

import (
	"encoding/binary"
	"unsafe"
)

// The int8 matrix-vector product of the avxvnni and vnni paths (kernels
// in i8_gemv_amd64.s), for GemmInt8 with few columns: a fully connected layer
// at batch 1 (or a small batch), where the tiled GEMM would compute 16 or
// 32 columns to keep one. (avx2 runs these layouts on its pixel-major
// kernel, i8_gemm_amd64.go, whatever the number of columns.)
//
// The kernels read the weight panels as PackInt8 packed them for the GEMM:
// each step of a panel holds kStep k values of all panelRows rows, so one
// register of a step is one multiply-add for every row of the panel against
// the same kStep activations, broadcast. The rows of a panel end in the
// lanes of one accumulator and are requantized there, per lane, and stored
// as panelRows contiguous int8. vnni also has a kernel for up to four
// columns that loads each weight step once for all of them; otherwise each
// column streams the weights once.
//
// The large layers are bound by the weights' stream from the last-level
// cache (AlexNet's 4096×4096 at about 25 GB/s on vnni, near what one core
// reads; avxvnni's YMM kernel streams it as fast as vnni's ZMM one), so
// more columns per pass come almost free. gemvMaxN is where the GEMM,
// which reads the weights once per 16 or 32 columns, catches up on
// 4096×4096 (BenchmarkGemvInt8; the small layers favour the kernels here
// further): vnni ties at 9 columns (three passes, 2.8 ms against 2.9 ms)
// and wins at 8 (two passes, 1.8 ms against 2.1-2.4 ms); avxvnni, one
// column per pass against tiles that take
// about 2.3 ms for any n up to 16, loses at 3 (2.7 ms against 2.4 ms) and
// wins at 2 (1.9 ms against 2.4 ms).

// gemv is i8Shape.gemm for n <= gemvMaxN, one block of columns at a time
// (four with gemvKernel4, else one): the full panels of a group in one
// kernel call straight into C when its rows are contiguous (through the
// tile buffer otherwise), the last partial panel of a group with
// zero-padded parameters into the tile buffer.
func (s *i8Shape) gemv(w *PackedInt8, x []int8, n, xrs, xcs int, rq *Requant, c []int8, crs, ccs int) {
	// begin sizes sc.x for the tiles' nr columns, ks*xStep bytes, enough
	// for a block of columns: ks steps of 4 uint8 per column and the 16
	// that the 6-row kernel's VPERMD reads past the last whole group of
	// four steps.
	sc := s.begin(w, rq)
	ep := &sc.ep
	k, mg, pr := w.k, w.m/w.groups, s.panelRows
	panel := sc.ks * s.stepBytes()
	ppg, full := s.panelsPerGroup(mg), mg/pr
	cols := 1
	if s.gemvKernel4 != nil && n > 1 {
		cols = 4
	}
	// A strided C takes the tile buffer's worth of panels per call, the
	// columns ldo bytes apart.
	chunk := full
	if crs != 1 {
		chunk = len(sc.tile) / (cols * pr)
	}
	ldo := chunk * pr
	for g := range w.groups {
		wg := w.data[g*ppg*panel:]
		tail := mg - full*pr
		if tail > 0 {
			i0 := g*mg + full*pr
			sc.bias, sc.mult, sc.shift, sc.corr = [16]int32{}, [16]int32{}, [16]int32{}, [16]int32{}
			copy(sc.bias[:tail], rq.Bias[i0:])
			copy(sc.mult[:tail], rq.Multiplier[i0:])
			copy(sc.shift[:tail], rq.Shift[i0:])
			if s.vnni {
				copy(sc.corr[:tail], sc.wCorr[i0:])
			}
		}
		for j0 := 0; j0 < n; j0 += cols {
			nc := min(cols, n-j0)
			s.packColumns(sc.x, x, k, g*k*xrs+j0*xcs, xrs, xcs, nc)
			for p0 := 0; p0 < full; p0 += chunk {
				np := min(chunk, full-p0)
				i0 := g*mg + p0*pr
				ep.bias, ep.mult, ep.shift = &rq.Bias[i0], &rq.Multiplier[i0], &rq.Shift[i0]
				if s.vnni {
					ep.corr = &sc.wCorr[i0]
				}
				o := i0*crs + j0*ccs
				if crs == 1 {
					_ = c[o+(nc-1)*ccs+np*pr-1]
					s.gemvCall(sc, nc, np, &wg[p0*panel], &c[o], ccs)
					continue
				}
				s.gemvCall(sc, nc, np, &wg[p0*panel], &sc.tile[0], ldo)
				for jj := range nc {
					for r, v := range sc.tile[jj*ldo:][:np*pr] {
						c[o+jj*ccs+r*crs] = v
					}
				}
			}
			if tail > 0 {
				ep.bias, ep.mult, ep.shift, ep.corr = &sc.bias[0], &sc.mult[0], &sc.shift[0], &sc.corr[0]
				s.gemvCall(sc, nc, 1, &wg[full*panel], &sc.tile[0], pr)
				o := (g*mg+full*pr)*crs + j0*ccs
				for jj := range nc {
					for r, v := range sc.tile[jj*pr:][:tail] {
						c[o+jj*ccs+r*crs] = v
					}
				}
			}
		}
	}
	s.end(sc)
}

// gemvCall runs np panels at w against the nc columns packed in sc.x,
// column j's rows stored at out + j*ldo.
func (s *i8Shape) gemvCall(sc *i8Scratch, nc, np int, w *int8, out *int8, ldo int) {
	if nc == 1 {
		s.gemvKernel(sc.ks, np, w, &sc.x[0], out, &sc.ep)
		return
	}
	s.gemvKernel4(sc.ks, np, w, &sc.x[0], out, ldo, nc, &sc.ep)
}

// packColumns packs nc columns of X, element (p, j) at x[o + p*rs + j*cs],
// into dst as the kernels read them, each value flipped to uint8 (+128).
// One column is a run of ks steps; more (vnni only) are interleaved, 4
// bytes of each of four columns per step. Bytes past k, and columns past nc, are left as they
// are: they meet zero weights, or their results are not stored.
func (s *i8Shape) packColumns(dst []byte, x []int8, k, o, rs, cs, nc int) {
	switch {
	case nc > 1 && rs == 1:
		// Whole steps of a contiguous column move as one word each.
		k4 := k &^ 3
		for j := range nc {
			src := unsafe.Slice((*byte)(unsafe.Pointer(&x[o+j*cs])), k)
			for p := 0; p < k4; p += 4 {
				binary.LittleEndian.PutUint32(dst[4*p+4*j:], binary.LittleEndian.Uint32(src[p:])^0x80808080)
			}
			for p := k4; p < k; p++ {
				dst[4*k4+4*j+p&3] = src[p] ^ 0x80
			}
		}
	case nc > 1:
		for j := range nc {
			for p := range k {
				dst[(p>>2)*16+4*j+p&3] = byte(x[o+j*cs+p*rs]) ^ 0x80
			}
		}
	case rs == 1:
		src := unsafe.Slice((*byte)(unsafe.Pointer(&x[o])), k)
		p := 0
		for ; p+8 <= k; p += 8 {
			binary.LittleEndian.PutUint64(dst[p:], binary.LittleEndian.Uint64(src[p:])^0x8080808080808080)
		}
		for ; p < k; p++ {
			dst[p] = src[p] ^ 0x80
		}
	default:
		for p := range k {
			dst[p] = byte(x[o+p*rs]) ^ 0x80
		}
	}
}

// i8Gemv16c4VNNI computes panels consecutive 16-row panels of vnni weights at
// w (ks steps of 64 bytes each) against one column x (ks steps of 4
// uint8), requantizes with ep (bias + corr, advancing 16 rows per panel)
// and stores 16 int8 per panel at out.
//
//go:noescape
func i8Gemv16c4VNNI(ks, panels int, w *int8, x *byte, out *int8, ep *i8Epi)

// i8Gemv4x16c4VNNI is i8Gemv16c4VNNI for four columns at once, x holding per step 4
// uint8 of each column in turn (16 bytes): it stores the 16 int8 per panel
// of column j < nc at out + j*ldo.
//
//go:noescape
func i8Gemv4x16c4VNNI(ks, panels int, w *int8, x *byte, out *int8, ldo, nc int, ep *i8Epi)

// i8Gemv6c4AVXVNNI computes panels consecutive 6-row panels of avxvnni
// weights at w (ks steps of 24 bytes each) against one column x (ks steps
// of 4 uint8, readable for 16 bytes more), requantizes with ep (bias +
// corr, advancing 6 rows per panel) and stores 6 int8 per panel at out.
//
//go:noescape
func i8Gemv6c4AVXVNNI(ks, panels int, w *int8, x *byte, out *int8, ep *i8Epi)
