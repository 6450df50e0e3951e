//go:build !purego && (amd64 || arm64)

package kernels

// The int8 max pool in assembly, for windows inside the image: 16 outputs
// of a row at a time, stride 1 or 2, windows up to poolMaxKW columns wide
// and any number of rows. i8_maxpool_amd64.go and i8_maxpool_arm64.go say how each
// architecture computes a block and hook maxPoolInt8SIMD in; the driver
// below and the contract of the assembly are shared.

// poolMaxKW is the widest window i8MaxPoolRows has a variant for.
const poolMaxKW = 8

// i8MaxPoolRows computes the max pool of chans channels (chanStride bytes
// apart in src) of rows output rows each, outW outputs per row; output rows
// follow each other in dst. Output row oh of a channel reads the kh window
// rows that start rowStride*oh bytes into it, w bytes apart, kw values
// each, sw bytes between windows. It computes blocks = ceil(outW/16) blocks
// of 16 outputs per row and stores all 16 lanes, so the stores of a row run
// up to 16*blocks-outW bytes into the rows after it, which overwrite them
// later; and a block reads up to poolReach bytes of each window row.
// chans, rows, blocks and kh must be at least 1, kw in [1, poolMaxKW] and
// sw 1 or 2.
//
//go:noescape
func i8MaxPoolRows(src, dst *int8, chans, rows, outW, blocks, w, chanStride, rowStride, kh, kw, sw int)

// poolReach bounds how many bytes past the first column of a window row
// i8MaxPoolRows reads for a row of blocks: the last block starts
// 16*sw*(blocks-1) bytes in, and each of its ceil(kw/sw) loads of 16*sw
// bytes starts at most sw*(ceil(kw/sw)-1) bytes past that.
func poolReach(blocks, kw, sw int) int {
	loads := (kw + sw - 1) / sw
	return sw * (16*blocks + loads - 1)
}

// maxPoolInt8SIMD is the maxPool field of the paths with assembly, every
// one but generic on amd64 (all have AVX2) and arm64 (all have NEON). It
// leaves the windows it has no variant for to the Go loops.
//
// The assembly over-reads and over-writes the end of each row (see
// i8MaxPoolRows), which is harmless in the middle of the image: what it
// reads is discarded and what it writes is overwritten by the next rows.
// At the end of src and dst it is not, so the last output rows, those whose
// loads or stores would pass the end of the C input or output channels,
// run in Go.
func maxPoolInt8SIMD(src, dst []int8, g ConvGeom) bool {
	sw := g.SW
	if g.OutW == 1 {
		sw = 1 // one window per row: its stride is never taken
	}
	if sw > 2 || g.KW > poolMaxKW {
		return false
	}
	blocks := (g.OutW + 15) / 16
	reach := poolReach(blocks, g.KW, sw)
	plane, rows := g.H*g.W, g.C*g.OutH
	// n is the number of output rows, in channel order, the assembly may
	// run; the ends of their reads and writes grow with n.
	n := rows
	for ; n > 0; n-- {
		c, oh := (n-1)/g.OutH, (n-1)%g.OutH
		last := c*plane + (oh*g.SH+g.KH-1)*g.W // last window row of row n-1
		if last+reach <= g.C*plane && (n-1)*g.OutW+16*blocks <= rows*g.OutW {
			break
		}
	}
	full, part := n/g.OutH, n%g.OutH
	if full > 0 {
		i8MaxPoolRows(&src[0], &dst[0], full, g.OutH, g.OutW, blocks, g.W, plane, g.SH*g.W, g.KH, g.KW, sw)
	}
	if part > 0 {
		i8MaxPoolRows(&src[full*plane], &dst[full*g.OutH*g.OutW], 1, part, g.OutW, blocks, g.W, plane, g.SH*g.W, g.KH, g.KW, sw)
	}
	// The remaining rows, channel by channel, as smaller pools of the
	// bottom of the channel.
	for p := n; p < rows; {
		c, oh := p/g.OutH, p%g.OutH
		sub := g
		sub.C, sub.H, sub.OutH = 1, g.H-oh*g.SH, g.OutH-oh
		s := c*plane + oh*g.SH*g.W
		maxPoolInt8Inside(src[s:s+sub.H*g.W], dst[p*g.OutW:(p+sub.OutH)*g.OutW], sub)
		p += sub.OutH
	}
	return true
}
