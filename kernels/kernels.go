// Package kernels holds edgecnn's hot loops: float32 and int8 GEMM,
// im2col/col2im, convolution, pooling and small element-wise epilogues, on
// plain row-major slices. It knows nothing of models, layers or tensors.
//
// # Paths
//
// Every kernel has a pure-Go reference in kernels_generic.go. Some kernels
// also have assembly versions (kernels_amd64.s, kernels_arm64.s). A path is a
// named set of implementations:
//
//	generic  pure Go; always available, and the definition of every result
//	avx2     amd64 with AVX2 and FMA3
//	avxvnni  amd64 with AVX2, FMA3 and AVX-VNNI (VEX-encoded VPDPBUSD, no AVX-512)
//	vnni     amd64 with AVX2, FMA3, AVX512F, AVX512VL and AVX512-VNNI
//	neon     arm64 with Advanced SIMD (Cortex-A72, Raspberry Pi 4)
//	dotprod  arm64 with Advanced SIMD and the dot product extension (Cortex-A76, Pi 5)
//
// The best path the CPU supports is chosen once, when the package is
// initialised, using github.com/klauspost/cpuid/v2. Building with the purego
// tag (go build -tags purego) leaves the assembly out and forces generic.
//
// The environment variable EDGECNN_KERNELS (generic, avx2, avxvnni, vnni, neon,
// dotprod or auto) overrides the choice at start-up. A name that is unknown, or a path
// this CPU or binary cannot run, never panics and never reaches an illegal
// instruction: the package keeps the generic path and EnvError reports why,
// so a command can print it. Use switches path at run time (for tests and
// benchmarks); Path and Paths report the path in use and the available ones.
//
// Paths differ in speed only. Every assembly kernel produces results that are
// bit-identical to the generic one, on every shape including tails; the tests
// check this for every path in Paths.
//
// # Float32 GEMM exactness
//
// Sgemm defines each element of C exactly: acc starts at +0 and, for p = 0,
// 1, ..., k-1 in increasing order, acc = fma(op(A)[i][p], op(B)[p][j], acc),
// a float32 fused multiply-add rounded once to nearest even; then
// C[i][j] = alpha*acc when beta == 0, and (alpha*acc) + (beta*C[i][j]) with
// each product and the sum rounded to float32 otherwise. If alpha == 0 or
// k == 0 the products are not computed: C = beta*C (C = 0 when beta == 0).
//
// A float32 convolution has one definition whatever the layout of its
// image (ConvF32 on CHW, ConvF32HWC and DepthwiseConvF32 on HWC) and
// whoever calls it (the engine, and the trainer, which unfolds with Im2col
// and calls Sgemm): it is Sgemm of the [out][C/groups][KH][KW] weights by
// Im2col's unfolding, so each output sums its window in the order (c, kh,
// kw), c the channel within the group, from +0, one FMA per value; then
// v = acc + bias (when there is a bias), then min(max(v, lo), hi).
//
// Every float32 kernel gives the bits its definition gives, with one
// exception: a NaN result may carry any payload and sign (Go's own min and
// max give different ones on amd64 and arm64).
//
// # Int8
//
// The int8 kernels (GemmInt8, ConvInt8, ConvInt8HWC, DepthwiseConvInt8,
// MaxPoolInt8, AvgPoolInt8, their HWC twins, AddInt8, LookupInt8) compute
// the int8 scheme of package quant exactly: int32 accumulation, then
// quant.Requantize per output value (Requant). Weights are packed once, at
// model load, by PackInt8, PackInt8Grouped, PackConvInt8HWC or
// PackDepthwiseInt8 into the layout of the path in use, which the packed
// weights point at; activations are packed per call where a kernel needs
// it. Files are named by dtype, operation and architecture, kernels by
// dtype, operation, tile (rows x columns, c: the k values per step) and
// instruction set:
//
//	i8_gemm.go, i8_gemm_generic.go    GemmInt8, ConvInt8 (CHW), the generic reference
//	i8_gemm_amd64.go, .s              i8Gemm6x16c2AVX2, i8Gemm6x16c4AVXVNNI, i8Gemm8x32c4VNNI: column-major tiles
//	i8_gemm_hwc_amd64.go, .s          i8GemmHWC6x16c2AVX2: X and C with contiguous columns (HWC images, batches)
//	i8_gemv_amd64.go, .s              matrix-vector kernels of avxvnni and vnni
//	i8_gemm_arm64.go, .s.in           i8Gemm4x4c16NEON, i8Gemm8x8c4Dot, and their packers (i8_pack_arm64.s.in)
//	i8_conv_hwc.go                    ConvInt8HWC, the HWC pools, TransposeInt8
//	i8_dwconv.go (+ _amd64, _arm64)   DepthwiseConvInt8: i8Dw8cAVX2, i8Dw16cNEON
//	i8_add.go (+ _amd64, _arm64)      AddInt8, RequantizeInt8
//	i8_maxpool_*                      the max pools' assembly
//	i8_pixelsum.go (+ _amd64, _arm64) SumPixelsInt8, the average pools' sums: i8PixelSum16AVX2, i8PixelSum16NEON
//	i8_im2col_amd64.s, _arm64.s       the HWC im2col's window rows: i8Im2colRunsAMD64, i8Im2colRuns(16)ARM64
//	i8_lookup_planes.go (+ _arm64)    LookupPlanesInt8HWC, 8-bit pixel planes to an int8 input: i8LookupPlanes3NEON
//	f32_*.go                          the float32 twins: ConvF32, ConvF32HWC, DepthwiseConvF32, SgemmPacked, pools
//
// Six kernels serve the image path of package preprocess:
//
//	u8_idct.go (+ _amd64, _arm64)     IDCTIslow, libjpeg's integer inverse DCT: idctIslow8x8AVX2, idctIslow8x8NEON
//	u8_resample.go (+ _amd64, _arm64) ResampleRowsU8, the resampler's vertical pass: resampleRows16AVX2, resampleRows16NEON;
//	                                  ResampleColsU8, its horizontal pass: resampleCols8AVX2, resampleCols4NEON
//	u8_upsample.go (+ _amd64, _arm64) UpsampleH2V2U8, JPEG's 4:2:0 chroma upsampling: upsample16AVX2, upsample8NEON;
//	                                  UpsampleH2V1U8, 4:2:2: upsampleH2V1x16AVX2, upsampleH2V1x8NEON
//	u8_ycc.go (+ _amd64, _arm64)      YCbCrToRGBU8, JPEG's colour conversion: ycc8AVX2, ycc8NEON
//
// The arm64 assembly is generated from the .s.in templates by tools/asmgen
// (gen_arm64asm.go).
package kernels

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
)

// Path names, as accepted by Use and by the EDGECNN_KERNELS variable.
const (
	PathGeneric = "generic" // pure Go, every platform
	PathAVX2    = "avx2"    // amd64: AVX2 + FMA3
	PathAVXVNNI = "avxvnni" // amd64: AVX2 + FMA3 + AVX-VNNI
	PathVNNI    = "vnni"    // amd64: AVX2 + FMA3 + AVX512F/VL/VNNI
	PathNEON    = "neon"    // arm64: Advanced SIMD
	PathDotProd = "dotprod" // arm64: Advanced SIMD + SDOT/UDOT
)

// EnvVar is the environment variable that overrides the path chosen at
// start-up.
const EnvVar = "EDGECNN_KERNELS"

// allPaths lists every path name in order of preference (worst first) with
// the architecture it needs.
var allPaths = []struct{ name, arch string }{
	{PathGeneric, ""},
	{PathAVX2, "amd64"},
	{PathAVXVNNI, "amd64"},
	{PathVNNI, "amd64"},
	{PathNEON, "arm64"},
	{PathDotProd, "arm64"},
}

// impl is one row of the dispatch table: a path and its kernels.
type impl struct {
	name    string
	missing string // CPU features this CPU lacks, "" if it can run the path

	// sgemm computes C = alpha*op(A)*op(B) + beta*C for validated arguments
	// with m, n, k >= 1 and alpha != 0.
	sgemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

	// f32Shape is the float32 micro-kernel that runs SgemmPacked for
	// weights of n output channels (f32_packed.go).
	f32Shape func(n int) *gemmShape

	// i8 packs int8 weights and runs the int8 GEMM (i8_gemm.go).
	i8 *int8Impl

	// dw is the int8 depthwise convolution (i8_dwconv.go), dwF32 the
	// float32 one (f32_dwconv.go); nil runs the Go reference.
	dw    *dwImpl
	dwF32 *dwF32Impl

	// add, if not nil, runs AddInt8 on a prefix of its elements and
	// returns how many it did; the Go loop does the rest.
	add func(dst, a, b []int8, p *AddParams) int
	// addF32, if not nil, runs AddF32 on a prefix of its elements and
	// returns how many it did; the Go loop does the rest.
	addF32 func(dst, a, b []float32, lo, hi float32) int

	// maxPoolHWC, if not nil, runs MaxPoolInt8HWC on runs of pixels
	// (i8_conv_hwc.go).
	maxPoolHWC func(a *poolArgs)
	// maxPoolHWCF32, if not nil, runs MaxPoolF32HWC on runs of pixels
	// (f32_conv_hwc.go).
	maxPoolHWCF32 func(a *poolArgs)
	// maxPoolF32, if not nil, runs MaxPoolF32 (CHW) if it can and reports
	// whether it did.
	maxPoolF32 func(src, dst []float32, g ConvGeom) bool

	// sumPixels, if not nil, runs SumPixelsInt8 on a prefix of the
	// channels and returns how many it did; the Go loop does the rest
	// (i8_pixelsum.go).
	sumPixels func(acc []int32, src []int8, pixels, stride int) int

	// im2colRuns, if not nil, copies the window rows of n output pixels
	// for the HWC im2col, every row inside the image (i8_conv_hwc.go): for
	// p < n and r < rows, run bytes (8 to 64) from in+p*step+r*pitch to
	// out+p*k+r*run.
	im2colRuns func(out, in *byte, n, run, rows, step, pitch, k int)

	// dot4, if not nil, returns the dot products of the four rows of w
	// (4×len(x), row-major) with x in int32 with wrap-around, as dot4Int8
	// does, for LinearInt8Float.
	dot4 func(w, x []int8) [4]int32

	// lookupPlanes, if not nil, runs LookupPlanesInt8HWC on a prefix of
	// the pixels if it can and returns how many it did; the Go loop does
	// the rest (i8_lookup_planes.go).
	lookupPlanes func(dst []int8, src []uint8, tables []int8) int

	// maxPool, if not nil, runs MaxPoolInt8 on windows inside the image
	// if it can and reports whether it did (i8_maxpool_asm.go).
	maxPool func(src, dst []int8, g ConvGeom) bool

	// adam, if not nil, runs AdamF32 on a prefix of the elements and
	// returns its length; the Go loop does the rest.
	adam func(w, m, v, g []float32, h *Adam) int

	// biasClamp, if not nil, runs BiasClampF32 or BiasClampColsF32 if it
	// can and reports whether it did.
	biasClamp func(x []float32, rows, cols, ldx int, bias []float32, byCol bool, lo, hi float32) bool

	// convHWCF32, if not nil, runs one group of ConvF32HWC on the window
	// values its tables address, bias and clamp fused, if it can and
	// reports whether it did (f32_conv_hwc.go).
	convHWCF32 convHWCF32Func

	// idct, if not nil, runs IDCTIslow on validated arguments
	// (u8_idct.go).
	idct func(blk *[64]int32, dst *uint8, stride int)
	// resampleRows, if not nil, runs ResampleRowsU8 on a prefix of its
	// outputs and returns how many it did; the Go loop does the rest
	// (u8_resample.go).
	resampleRows func(out, src []uint8, stride int, k []int32, shift uint) int
	// resampleCols, if not nil, runs ResampleColsU8 on a prefix of its
	// outputs and returns how many it did (u8_resample.go).
	resampleCols func(out, src []uint8, first, k []int32, kstride, taps int, shift uint) int
	// upsample, if not nil, runs UpsampleH2V2U8 on a prefix of its chroma
	// columns and returns how many it did (u8_upsample.go).
	upsample func(dst, near, far []uint8) int
	// upsampleH2V1, if not nil, runs UpsampleH2V1U8 on a prefix of its
	// chroma columns and returns how many it did (u8_upsample.go).
	upsampleH2V1 func(dst, row []uint8) int
	// ycc, if not nil, runs YCbCrToRGBU8 on a prefix of its samples and
	// returns how many it did; the Go loop does the rest (u8_ycc.go).
	ycc func(r, g, b, y, cb, cr []uint8) int
}

// convHWCF32Func is the type of impl.convHWCF32.
type convHWCF32Func func(t *convF32Tables, w *PackedF32, bias, c []float32, ldc int, lo, hi float32) bool

var genericImpl = &impl{name: PathGeneric, sgemm: sgemmGeneric, f32Shape: func(int) *gemmShape { return genericShape },
	i8: genericInt8}

// table is the dispatch table: generic first, then the paths of this
// architecture (from archImpls) in order of preference.
var table = append([]*impl{genericImpl}, archImpls()...)

// active is the path in use.
var active atomic.Pointer[impl]

// envErr is the error from EDGECNN_KERNELS at start-up, if any.
var envErr error

func init() {
	best := genericImpl
	for _, p := range table {
		if p.missing == "" {
			best = p
		}
	}
	active.Store(best)
	envErr = applyEnv(os.Getenv(EnvVar))
}

// applyEnv applies the value of EDGECNN_KERNELS: "" and "auto" keep the
// path in use; a path that cannot run selects generic and returns the error.
func applyEnv(v string) error {
	v = strings.TrimSpace(v)
	if v == "" || v == "auto" {
		return nil
	}
	if err := Use(v); err != nil {
		active.Store(genericImpl)
		return fmt.Errorf("%s=%s: %w (using %s)", EnvVar, v, err, PathGeneric)
	}
	return nil
}

// PathError reports a path that Use cannot switch to.
type PathError struct {
	Path   string // the requested path
	Reason string // why it cannot run, e.g. "this CPU lacks AVX2, FMA3"
}

func (e *PathError) Error() string {
	return fmt.Sprintf("kernels: path %q: %s", e.Path, e.Reason)
}

// Path returns the name of the path in use.
func Path() string { return active.Load().name }

// Paths returns the names of the paths this CPU and binary can run, generic
// first and the preferred one last.
func Paths() []string {
	var out []string
	for _, p := range table {
		if p.missing == "" {
			out = append(out, p.name)
		}
	}
	return out
}

// Compiled returns the names of the paths built into this binary, whether or
// not this CPU can run them, generic first and in order of preference: the
// architecture's assembly paths, or generic alone under the purego tag or on
// another architecture.
func Compiled() []string {
	out := make([]string, len(table))
	for i, p := range table {
		out[i] = p.name
	}
	return out
}

// Use switches every kernel to the named path. It returns a *PathError,
// naming the path and the missing CPU features or build support, if the path
// is unknown or cannot run here; the path in use is then unchanged. Use is
// safe to call concurrently with kernels, which see either the old or the new
// path, but it is meant for tests and benchmarks.
func Use(path string) error {
	for _, p := range table {
		if p.name == path {
			if p.missing != "" {
				return &PathError{path, "this CPU lacks " + p.missing}
			}
			active.Store(p)
			return nil
		}
	}
	for _, p := range allPaths {
		if p.name != path {
			continue
		}
		if purego && p.arch == runtime.GOARCH {
			return &PathError{path, "not compiled in (built with the purego tag)"}
		}
		return &PathError{path, fmt.Sprintf("needs %s, but this binary is %s", p.arch, runtime.GOARCH)}
	}
	names := make([]string, len(allPaths))
	for i, p := range allPaths {
		names[i] = p.name
	}
	return &PathError{path, "unknown path (want one of " + strings.Join(names, ", ") + ")"}
}

// EnvError returns the error from the EDGECNN_KERNELS override at start-up,
// or nil if the variable was unset, "auto", or named a path that runs here.
// When it is non-nil the generic path is in use.
func EnvError() error { return envErr }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C, where op(X) is X or its
// transpose Xᵀ, op(A) is m×k, op(B) is k×n and C is m×n. All matrices are
// row-major with leading dimensions (row strides) lda, ldb and ldc: A is
// stored m×k (k×m when transA), B is k×n (n×k when transB). When beta == 0, C
// is overwritten and its previous contents (even NaN) are ignored. The exact
// arithmetic is defined in the package documentation.
//
// Sgemm panics if a dimension is negative, a leading dimension is too small
// or a slice is too short for the shape.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("Sgemm", "C", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	checkMatrix("Sgemm", "A", ar, ac, a, lda)
	checkMatrix("Sgemm", "B", br, bc, b, ldb)
	active.Load().sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkMatrix panics unless x can hold a rows×cols row-major matrix with
// leading dimension ld.
func checkMatrix(fn, name string, rows, cols int, x []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: %s: ld%s=%d < %d columns", fn, strings.ToLower(name), ld, cols))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels: %s: len(%s)=%d < %d for %d×%d with ld %d", fn, strings.ToLower(name), len(x), (rows-1)*ld+cols, rows, cols, ld))
	}
}

// scaleC sets C = beta*C, or C = 0 when beta == 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// ConvGeom describes a 2-D sliding window over one [C, H, W] image, for
// convolution (Im2col, Col2im) and pooling (MaxPoolF32, AvgPoolF32).
//
// Output cell (oh, ow) covers input rows oh*SH-PadT ... oh*SH-PadT+KH-1 and
// columns ow*SW-PadL ... ow*SW-PadL+KW-1. Cells outside the image are padding;
// bottom and right padding follow from OutH and OutW, which are usually
// (H+PadT+PadB-KH)/SH+1 and (W+PadL+PadR-KW)/SW+1.
type ConvGeom struct {
	C, H, W    int // input channels, height and width
	KH, KW     int // window (kernel) height and width
	SH, SW     int // vertical and horizontal stride, >= 1
	PadT, PadL int // zero rows above and zero columns left of the image
	OutH, OutW int // output height and width
}

func (g ConvGeom) check(fn string, srcLen, srcWant, dstLen, dstWant int) {
	if g.C < 0 || g.H < 0 || g.W < 0 || g.KH < 1 || g.KW < 1 || g.SH < 1 || g.SW < 1 ||
		g.PadT < 0 || g.PadL < 0 || g.OutH < 0 || g.OutW < 0 {
		panic(fmt.Sprintf("kernels: %s: bad geometry %+v", fn, g))
	}
	if srcLen < srcWant || dstLen < dstWant {
		panic(fmt.Sprintf("kernels: %s: slices too short for %+v: source %d < %d or destination %d < %d",
			fn, g, srcLen, srcWant, dstLen, dstWant))
	}
}

// Im2col unfolds the [C, H, W] image src into dst, a row-major
// [C*KH*KW, OutH*OutW] matrix: element ((c*KH+kh)*KW+kw, oh*OutW+ow) is
// src[c, oh*SH-PadT+kh, ow*SW-PadL+kw], or 0 where that cell is padding.
// A convolution is then Sgemm of the [OutC, C*KH*KW] weights by dst.
func Im2col(src []float32, g ConvGeom, dst []float32) {
	g.check("Im2col", len(src), g.C*g.H*g.W, len(dst), g.C*g.KH*g.KW*g.OutH*g.OutW)
	im2colBatch(src, g, 1, dst, g.OutH*g.OutW)
}

// Col2im is the adjoint of Im2col: it adds every element of the
// [C*KH*KW, OutH*OutW] matrix col into the image cell dst[c, h, w] that
// Im2col would have read it from, and drops the elements that fall on
// padding. It accumulates: dst is not cleared first. It turns the gradient of
// the unfolded matrix into the gradient of the image.
func Col2im(col []float32, g ConvGeom, dst []float32) {
	g.check("Col2im", len(col), g.C*g.KH*g.KW*g.OutH*g.OutW, len(dst), g.C*g.H*g.W)
	col2imBatch(col, g.OutH*g.OutW, g, 1, dst)
}

// MaxPoolF32 writes into dst ([C, OutH, OutW]) the maximum of each window of
// src ([C, H, W]). Padding cells are ignored; a window that holds only padding
// gives 0.
func MaxPoolF32(src, dst []float32, g ConvGeom) {
	g.check("MaxPoolF32", len(src), g.C*g.H*g.W, len(dst), g.C*g.OutH*g.OutW)
	if mp := active.Load().maxPoolF32; mp != nil && mp(src, dst, g) {
		return
	}
	if g.inside() {
		maxPoolF32Inside(src, dst, g)
		return
	}
	maxPoolGeneric(src, dst, g)
}

// AvgPoolF32 writes into dst ([C, OutH, OutW]) the mean of each window of src
// ([C, H, W]) over the cells inside the image (padding is excluded from both
// the sum and the count). A window that holds only padding gives 0.
func AvgPoolF32(src, dst []float32, g ConvGeom) {
	g.check("AvgPoolF32", len(src), g.C*g.H*g.W, len(dst), g.C*g.OutH*g.OutW)
	if g.inside() {
		avgPoolF32Inside(src, dst, g)
		return
	}
	avgPoolGeneric(src, dst, g)
}

// BiasClampF32 is the float epilogue of a convolution or dense layer: for the
// rows×cols row-major matrix x with leading dimension ldx it sets
// x[i][j] = min(max(x[i][j]+bias[i], lo), hi). Pass lo = -Inf, hi = +Inf for
// no activation, lo = 0, hi = +Inf for ReLU and lo = 0, hi = 6 for ReLU6. A
// nil bias adds nothing. For a [batch, features] dense output, where the bias
// runs along the columns, use BiasClampColsF32.
func BiasClampF32(x []float32, rows, cols, ldx int, bias []float32, lo, hi float32) {
	checkMatrix("BiasClampF32", "X", rows, cols, x, ldx)
	if bias != nil && len(bias) < rows {
		panic(fmt.Sprintf("kernels: BiasClampF32: len(bias)=%d < %d rows", len(bias), rows))
	}
	biasClamp(x, rows, cols, ldx, bias, false, lo, hi)
}

// BiasClampColsF32 is BiasClampF32 with the bias indexed by column:
// x[i][j] = min(max(x[i][j]+bias[j], lo), hi).
func BiasClampColsF32(x []float32, rows, cols, ldx int, bias []float32, lo, hi float32) {
	checkMatrix("BiasClampColsF32", "X", rows, cols, x, ldx)
	if bias != nil && len(bias) < cols {
		panic(fmt.Sprintf("kernels: BiasClampColsF32: len(bias)=%d < %d columns", len(bias), cols))
	}
	biasClamp(x, rows, cols, ldx, bias, true, lo, hi)
}

// biasClamp runs BiasClampF32 (byCol false) or BiasClampColsF32 on the
// path in use.
func biasClamp(x []float32, rows, cols, ldx int, bias []float32, byCol bool, lo, hi float32) {
	if bc := active.Load().biasClamp; bc != nil && bc(x, rows, cols, ldx, bias, byCol, lo, hi) {
		return
	}
	biasClampGeneric(x, rows, cols, ldx, bias, byCol, lo, hi)
}

// zeros is a bias of zeros for the SIMD kernels, grown as needed.
var zeros atomic.Pointer[[]float32]

// zeroF32 returns n zeros, shared by every caller (never written).
func zeroF32(n int) []float32 {
	if z := zeros.Load(); z != nil && len(*z) >= n {
		return (*z)[:n]
	}
	z := make([]float32, n)
	zeros.Store(&z)
	return z
}
