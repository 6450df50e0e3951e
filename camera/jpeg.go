package camera

import (
	"errors"
	"fmt"
	"math"
)

// This file is a JPEG decoder for the one thing the camera path needs fast:
// the luma plane, optionally shrunk by 2, 4 or 8 in the DCT domain (an n x n
// inverse DCT of the low frequencies of each block, n = 8/scale). It reads
// baseline and extended sequential Huffman JPEGs with 8-bit samples, any
// sampling factors, restart intervals and non-interleaved scans, which is
// what cameras and encoders of MJPEG streams produce. Chroma is entropy
// decoded (it must be, to find the next block) but never transformed.
// Progressive and arithmetic-coded files return errJPEGUnsupported and are
// left to image/jpeg.

// errJPEGUnsupported marks a valid JPEG this decoder does not handle.
var errJPEGUnsupported = errors.New("jpeg: unsupported coding")

// zigzag maps the zigzag index of a coefficient to its natural (row-major)
// index in the 8x8 block.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

const lutBits = 9

// huffTable is one Huffman table: a lookup table for codes up to lutBits
// long, and the canonical decoding tables for longer ones.
type huffTable struct {
	present bool
	// lut[peek] = length<<8 | symbol for codes of at most lutBits bits; 0
	// means a longer code.
	lut     [1 << lutBits]uint16
	maxcode [18]int32 // largest code of each length, -1 if none
	valptr  [17]int32 // index into vals of the first code of each length
	mincode [17]int32
	vals    [256]uint8
}

// build fills the tables from the 16 code counts and the symbols.
func (h *huffTable) build(counts []uint8, symbols []uint8) error {
	*h = huffTable{}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		h.valptr[l], h.mincode[l] = k, code
		for range n {
			if code >= 1<<l {
				return errors.New("jpeg: bad huffman table (code space overflow)")
			}
			if l <= lutBits {
				sym := uint16(symbols[k])
				shift := lutBits - l
				for i := code << shift; i < (code+1)<<shift; i++ {
					h.lut[i] = uint16(l)<<8 | sym
				}
			}
			h.vals[k] = symbols[k]
			code++
			k++
		}
		if n > 0 {
			h.maxcode[l] = code - 1
		} else {
			h.maxcode[l] = -1
		}
		code <<= 1
	}
	h.maxcode[17] = math.MaxInt32
	h.present = true
	return nil
}

// bitReader reads the entropy-coded data of a scan: bytes 0xFF 0x00 stand
// for 0xFF; any other marker ends the data, after which zero bits are fed.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64 // bits, most significant first
	n      uint   // valid bits in acc
	marker bool   // stopped at a marker at data[pos]
	pad    int    // zero bytes fed past the data
}

func (b *bitReader) fill() {
	for b.n <= 56 {
		var c byte
		if !b.marker && b.pos < len(b.data) {
			c = b.data[b.pos]
			if c == 0xFF {
				if b.pos+1 < len(b.data) && b.data[b.pos+1] == 0 {
					b.pos += 2
				} else {
					b.marker = true
					c = 0
					b.pad++
				}
			} else {
				b.pos++
			}
		} else {
			b.pad++
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether more bits were consumed than the data holds.
func (b *bitReader) overrun() bool { return b.pad*8 > int(b.n)+8 }

// decode reads one Huffman symbol.
func (b *bitReader) decode(h *huffTable) (uint8, bool) {
	if b.n < 32 {
		b.fill()
	}
	if v := h.lut[b.acc>>(64-lutBits)]; v != 0 {
		l := uint(v >> 8)
		b.acc <<= l
		b.n -= l
		return uint8(v), true
	}
	for l := lutBits + 1; l <= 16; l++ {
		code := int32(b.acc >> (64 - uint(l)))
		if code <= h.maxcode[l] {
			b.acc <<= uint(l)
			b.n -= uint(l)
			i := h.valptr[l] + code - h.mincode[l]
			if i < 0 || i > 255 {
				return 0, false
			}
			return h.vals[i], true
		}
	}
	return 0, false
}

// receive reads s (1..16) bits as a signed coefficient (JPEG's EXTEND).
func (b *bitReader) receive(s uint) int32 {
	if b.n < s {
		b.fill()
	}
	v := int32(b.acc >> (64 - s))
	b.acc <<= s
	b.n -= s
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// restart discards the bits left before a restart marker and steps over it.
func (b *bitReader) restart() error {
	b.acc, b.n, b.pad, b.marker = 0, 0, 0, false
	for b.pos+1 < len(b.data) && b.data[b.pos] == 0xFF && b.data[b.pos+1] == 0xFF {
		b.pos++ // fill bytes
	}
	if b.pos+1 < len(b.data) && b.data[b.pos] == 0xFF && b.data[b.pos+1] >= 0xD0 && b.data[b.pos+1] <= 0xD7 {
		b.pos += 2
		return nil
	}
	return errors.New("jpeg: missing restart marker")
}

type jpegComponent struct {
	id     uint8
	h, v   int
	tq     int
	td, ta int
	pred   int32
}

// jpegDecoder decodes luma planes; it keeps its buffers between frames.
type jpegDecoder struct {
	qt            [4][64]uint16
	qtPresent     [4]bool
	huff          [2][4]huffTable
	comps         [4]jpegComponent
	ncomp         int
	width, height int
	hmax, vmax    int
	restartEvery  int
	frameSeen     bool

	scale  int
	n      int // output pixels per block side, 8/scale
	idct   [8][8]float32
	idctN  int
	pix    []byte // the luma plane, padded to whole MCUs
	stride int
	bits   bitReader
}

// jpegConfig reads the size of a JPEG from its frame header.
func jpegConfig(data []byte) (width, height int, err error) {
	var d jpegDecoder
	if err := d.parse(data, false); err != nil && !d.frameSeen {
		return 0, 0, err
	}
	return d.width, d.height, nil
}

// decodeLuma decodes the luma plane of data at 1/scale of its size (scale
// 1, 2, 4 or 8). The plane is owned by d until the next call.
func (d *jpegDecoder) decodeLuma(data []byte, scale int) (Plane, error) {
	if scale != 1 && scale != 2 && scale != 4 && scale != 8 {
		return Plane{}, fmt.Errorf("jpeg: scale %d, want 1, 2, 4 or 8", scale)
	}
	d.scale, d.n = scale, 8/scale
	if d.idctN != d.n {
		d.idctN = d.n
		d.idct = idctMatrix(d.n)
	}
	if err := d.parse(data, true); err != nil {
		return Plane{}, err
	}
	w, h := (d.width+scale-1)/scale, (d.height+scale-1)/scale
	return Plane{Pix: d.pix, Width: w, Height: h, Stride: d.stride, Step: 1, Scale: scale}, nil
}

// idctMatrix returns M with M[x][u] the weight of coefficient u in output
// pixel x when an 8-point block is shrunk to n points: the mean of the 8/n
// pixels x stands for, of C(u)/2 cos((2p+1)u pi/16).
func idctMatrix(n int) [8][8]float32 {
	var m [8][8]float32
	g := 8 / n
	for x := range n {
		for u := range n {
			c := 0.5
			if u == 0 {
				c = 0.5 / math.Sqrt2
			}
			s := 0.0
			for p := x * g; p < (x+1)*g; p++ {
				s += math.Cos(float64(2*p+1) * float64(u) * math.Pi / 16)
			}
			m[x][u] = float32(c * s / float64(g))
		}
	}
	return m
}

func u16(b []byte) int { return int(b[0])<<8 | int(b[1]) }

// parse walks the markers of data; with decode set it decodes the luma of
// the first scan holding it, else it stops after the frame header.
func (d *jpegDecoder) parse(data []byte, decode bool) error {
	d.frameSeen, d.restartEvery, d.ncomp = false, 0, 0
	d.qtPresent = [4]bool{}
	for i := range d.huff {
		for j := range d.huff[i] {
			d.huff[i][j].present = false
		}
	}
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return errors.New("jpeg: missing start of image")
	}
	pos := 2
	for {
		// Find the next marker, skipping fill bytes.
		for pos < len(data) && data[pos] != 0xFF {
			pos++ // tolerate garbage between segments
		}
		for pos+1 < len(data) && data[pos+1] == 0xFF {
			pos++
		}
		if pos+1 >= len(data) {
			return errors.New("jpeg: truncated before the image data")
		}
		m := data[pos+1]
		pos += 2
		switch {
		case m == 0xD9:
			return errors.New("jpeg: no image data before the end")
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7):
			continue // no length
		}
		if pos+2 > len(data) {
			return errors.New("jpeg: truncated segment")
		}
		n := u16(data[pos:])
		if n < 2 || pos+n > len(data) {
			return fmt.Errorf("jpeg: segment %#02x of %d bytes overruns the data", m, n)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		var err error
		switch m {
		case 0xC0, 0xC1:
			err = d.parseSOF(seg)
			if err == nil && !decode {
				return nil
			}
		case 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
			return errJPEGUnsupported
		case 0xC4:
			err = d.parseDHT(seg)
		case 0xDB:
			err = d.parseDQT(seg)
		case 0xDD:
			if len(seg) != 2 {
				return errors.New("jpeg: bad restart interval segment")
			}
			d.restartEvery = u16(seg)
		case 0xDA:
			if !d.frameSeen {
				return errors.New("jpeg: scan before the frame header")
			}
			done, end, err := d.scan(seg, data[pos:])
			if err != nil {
				return err
			}
			if done {
				return nil
			}
			pos += end
		}
		if err != nil {
			return err
		}
	}
}

func (d *jpegDecoder) parseSOF(seg []byte) error {
	if d.frameSeen {
		return errors.New("jpeg: two frame headers")
	}
	if len(seg) < 6 {
		return errors.New("jpeg: short frame header")
	}
	if seg[0] != 8 {
		return errJPEGUnsupported // 12-bit samples
	}
	d.height, d.width, d.ncomp = u16(seg[1:]), u16(seg[3:]), int(seg[5])
	if d.width == 0 || d.height == 0 || d.width > MaxDim || d.height > MaxDim {
		return fmt.Errorf("jpeg: image size %dx%d out of range", d.width, d.height)
	}
	if d.ncomp != 1 && d.ncomp != 3 {
		return errJPEGUnsupported
	}
	if len(seg) != 6+3*d.ncomp {
		return errors.New("jpeg: bad frame header length")
	}
	d.hmax, d.vmax = 1, 1
	for i := range d.ncomp {
		c := &d.comps[i]
		c.id, c.h, c.v, c.tq = seg[6+3*i], int(seg[7+3*i]>>4), int(seg[7+3*i]&15), int(seg[8+3*i])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return errors.New("jpeg: bad component in frame header")
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	if d.ncomp == 1 {
		d.comps[0].h, d.comps[0].v, d.hmax, d.vmax = 1, 1, 1, 1 // one component: blocks, not MCUs
	}
	if d.comps[0].h != d.hmax || d.comps[0].v != d.vmax {
		return errJPEGUnsupported // luma subsampled below chroma
	}
	d.frameSeen = true
	return nil
}

func (d *jpegDecoder) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errors.New("jpeg: short huffman table")
		}
		class, id := seg[0]>>4, seg[0]&15
		if class > 1 || id > 3 {
			return errors.New("jpeg: bad huffman table id")
		}
		total := 0
		for _, c := range seg[1:17] {
			total += int(c)
		}
		if total > 256 || len(seg) < 17+total {
			return errors.New("jpeg: bad huffman table length")
		}
		if err := d.huff[class][id].build(seg[1:17], seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

func (d *jpegDecoder) parseDQT(seg []byte) error {
	for len(seg) > 0 {
		prec, id := seg[0]>>4, seg[0]&15
		if id > 3 || prec > 1 {
			return errors.New("jpeg: bad quantization table id")
		}
		size := 64 << prec
		if len(seg) < 1+size {
			return errors.New("jpeg: short quantization table")
		}
		for k := range 64 {
			if prec == 0 {
				d.qt[id][k] = uint16(seg[1+k])
			} else {
				d.qt[id][k] = uint16(u16(seg[1+2*k:]))
			}
		}
		d.qtPresent[id] = true
		seg = seg[1+size:]
	}
	return nil
}

// scan decodes one scan whose header is seg and whose entropy-coded data
// starts rest. It returns done when the luma has been decoded, else how far
// the data went.
func (d *jpegDecoder) scan(seg, rest []byte) (done bool, end int, err error) {
	if len(seg) < 1 {
		return false, 0, errors.New("jpeg: short scan header")
	}
	ns := int(seg[0])
	if ns < 1 || ns > d.ncomp || len(seg) != 4+2*ns {
		return false, 0, errors.New("jpeg: bad scan header")
	}
	var scomp [4]int
	hasLuma := false
	for i := range ns {
		id, tables := seg[1+2*i], seg[2+2*i]
		ci := -1
		for j := range d.ncomp {
			if d.comps[j].id == id {
				ci = j
			}
		}
		if ci < 0 {
			return false, 0, errors.New("jpeg: scan names an unknown component")
		}
		c := &d.comps[ci]
		c.td, c.ta, c.pred = int(tables>>4), int(tables&15), 0
		if c.td > 3 || c.ta > 3 || !d.huff[0][c.td].present || !d.huff[1][c.ta].present {
			return false, 0, errors.New("jpeg: scan uses a missing huffman table")
		}
		if !d.qtPresent[c.tq] {
			return false, 0, errors.New("jpeg: component uses a missing quantization table")
		}
		scomp[i] = ci
		hasLuma = hasLuma || ci == 0
	}
	if ss, se, a := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]; ss != 0 || se != 63 || a != 0 {
		return false, 0, errJPEGUnsupported
	}
	d.bits = bitReader{data: rest}
	n := d.n
	mcuW, mcuH := 8*d.hmax, 8*d.vmax
	mcusX, mcusY := (d.width+mcuW-1)/mcuW, (d.height+mcuH-1)/mcuH
	if hasLuma {
		// Every block takes at least two bits: a size claimed by a broken
		// header cannot make us allocate much more than the data.
		if blocks := mcusX * mcusY * d.hmax * d.vmax; blocks > 4*len(rest)+64 {
			return false, 0, fmt.Errorf("jpeg: %d bytes of image data cannot hold %dx%d pixels", len(rest), d.width, d.height)
		}
		d.stride = mcusX * d.hmax * n
		size := d.stride * mcusY * d.vmax * n
		if cap(d.pix) < size {
			d.pix = make([]byte, size)
		}
		d.pix = d.pix[:size]
	}
	var blk [64]float32
	block := func(ci int, bx, by int) error {
		c := &d.comps[ci]
		b := &d.bits
		s, ok := b.decode(&d.huff[0][c.td])
		if !ok || s > 11 {
			return errors.New("jpeg: bad huffman code")
		}
		if s > 0 {
			c.pred += b.receive(uint(s))
		}
		out := ci == 0
		q := &d.qt[c.tq]
		if out {
			clear(blk[:n*n])
			blk[0] = float32(c.pred) * float32(q[0])
		}
		ac := &d.huff[1][c.ta]
		for k := 1; k < 64; k++ {
			rs, ok := b.decode(ac)
			if !ok {
				return errors.New("jpeg: bad huffman code")
			}
			r, s := int(rs>>4), uint(rs&15)
			if s == 0 {
				if r != 15 {
					break
				}
				k += 15
				continue
			}
			k += r
			if k > 63 {
				return errors.New("jpeg: coefficient index out of range")
			}
			v := b.receive(s)
			if out {
				z := zigzag[k]
				if int(z>>3) < n && int(z&7) < n {
					blk[int(z>>3)*n+int(z&7)] = float32(v) * float32(q[k])
				}
			}
		}
		if out {
			d.inverse(&blk, bx, by)
		}
		return nil
	}
	interleaved := ns > 1
	var total int
	if interleaved {
		total = mcusX * mcusY
	} else {
		c := d.comps[scomp[0]]
		cw := (d.width*c.h + d.hmax - 1) / d.hmax
		ch := (d.height*c.v + d.vmax - 1) / d.vmax
		total = ((cw + 7) / 8) * ((ch + 7) / 8)
	}
	for mcu := range total {
		if d.restartEvery > 0 && mcu > 0 && mcu%d.restartEvery == 0 {
			if err := d.bits.restart(); err != nil {
				return false, 0, err
			}
			for i := range ns {
				d.comps[scomp[i]].pred = 0
			}
		}
		if interleaved {
			mx, my := mcu%mcusX, mcu/mcusX
			for i := range ns {
				ci := scomp[i]
				c := &d.comps[ci]
				for v := range c.v {
					for h := range c.h {
						if err := block(ci, mx*c.h+h, my*c.v+v); err != nil {
							return false, 0, err
						}
					}
				}
			}
		} else {
			c := d.comps[scomp[0]]
			cw := (d.width*c.h + d.hmax - 1) / d.hmax
			bw := (cw + 7) / 8
			if err := block(scomp[0], mcu%bw, mcu/bw); err != nil {
				return false, 0, err
			}
		}
		if d.bits.overrun() {
			return false, 0, errors.New("jpeg: image data is truncated")
		}
	}
	if hasLuma {
		return true, 0, nil
	}
	// Skip to the marker after this scan.
	end = d.bits.pos
	for end+1 < len(rest) && (rest[end] != 0xFF || rest[end+1] == 0 || (rest[end+1] >= 0xD0 && rest[end+1] <= 0xD7)) {
		end++
	}
	return false, end, nil
}

// inverse writes the n x n shrunk inverse DCT of the dequantized low
// frequencies blk (row-major, n x n) at block (bx, by) of the luma plane.
func (d *jpegDecoder) inverse(blk *[64]float32, bx, by int) {
	n := d.n
	off := by*n*d.stride + bx*n
	if off+(n-1)*d.stride+n > len(d.pix) {
		return // a block past the padded plane (corrupt sampling): ignore
	}
	switch n {
	case 1:
		d.pix[off] = clamp8(blk[0]*d.idct[0][0]*d.idct[0][0] + 128)
		return
	case 4:
		d.inverse4(blk, off)
		return
	}
	m := &d.idct
	var t [64]float32 // t[v*n+x] = sum_u blk[v][u] m[x][u]
	for v := range n {
		row := blk[v*n : v*n+n]
		allZero := true
		for _, c := range row[1:] {
			if c != 0 {
				allZero = false
				break
			}
		}
		if allZero {
			dc := row[0] * m[0][0]
			for x := range n {
				t[v*n+x] = dc
			}
			continue
		}
		for x := range n {
			s := float32(0)
			mx := m[x][:n]
			for u, c := range row {
				s += c * mx[u]
			}
			t[v*n+x] = s
		}
	}
	for y := range n {
		my := m[y][:n]
		dst := d.pix[off+y*d.stride : off+y*d.stride+n]
		for x := range n {
			s := float32(128)
			for v := range n {
				s += my[v] * t[v*n+x]
			}
			dst[x] = clamp8(s)
		}
	}
}

func clamp8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// inverse4 is inverse for n = 4, unrolled.
func (d *jpegDecoder) inverse4(blk *[64]float32, off int) {
	m := &d.idct
	m00, m01, m02, m03 := m[0][0], m[0][1], m[0][2], m[0][3]
	m10, m11, m12, m13 := m[1][0], m[1][1], m[1][2], m[1][3]
	m20, m21, m22, m23 := m[2][0], m[2][1], m[2][2], m[2][3]
	m30, m31, m32, m33 := m[3][0], m[3][1], m[3][2], m[3][3]
	var t [16]float32
	for v := range 4 {
		r := blk[v*4 : v*4+4 : v*4+4]
		c0, c1, c2, c3 := r[0], r[1], r[2], r[3]
		tv := t[v*4 : v*4+4 : v*4+4]
		if c1 == 0 && c2 == 0 && c3 == 0 {
			dc := c0 * m00
			tv[0], tv[1], tv[2], tv[3] = dc, dc, dc, dc
			continue
		}
		tv[0] = c0*m00 + c1*m01 + c2*m02 + c3*m03
		tv[1] = c0*m10 + c1*m11 + c2*m12 + c3*m13
		tv[2] = c0*m20 + c1*m21 + c2*m22 + c3*m23
		tv[3] = c0*m30 + c1*m31 + c2*m32 + c3*m33
	}
	for x := range 4 {
		t0, t1, t2, t3 := t[x], t[4+x], t[8+x], t[12+x]
		p := d.pix[off+x:]
		s := d.stride
		_ = p[3*s]
		p[0] = clamp8(128 + t0*m00 + t1*m01 + t2*m02 + t3*m03)
		p[s] = clamp8(128 + t0*m10 + t1*m11 + t2*m12 + t3*m13)
		p[2*s] = clamp8(128 + t0*m20 + t1*m21 + t2*m22 + t3*m23)
		p[3*s] = clamp8(128 + t0*m30 + t1*m31 + t2*m32 + t3*m33)
	}
}
