package preprocess

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/edgecnn/edgecnn/kernels"
)

// This file is edgecnn's JPEG decoder: baseline and extended sequential
// Huffman JPEGs with 8-bit samples, gray or YCbCr (any sampling factors
// with luma sampled most), restart intervals and non-interleaved scans:
// what cameras and MJPEG streams produce, and most photos. It decodes at
// full size with libjpeg's default integer inverse DCT ("islow"), so that
// it gives the pixels PIL gives, or at n/8 of the size (n 1 to 7, as
// libjpeg's scale_num) in the DCT domain (an n x n box-filtered inverse
// transform of each block's low frequencies), several times faster than
// decoding in full and shrinking. It can skip the chroma transform when
// only luma is wanted, and the transform of the blocks outside a region
// the caller needs (their coefficients are still decoded: the entropy
// coding leaves no other way to reach the blocks after them).
//
// Progressive, arithmetic-coded, 12-bit, CMYK and RGB-coded files return
// errJPEGUnsupported; Decode hands those to image/jpeg after checking
// their size against their data.

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

// lutBits is the Huffman lookahead: codes (and, for AC coefficients,
// code and value together) of up to lutBits bits decode in one lookup.
// 10 rather than 9 bits makes 1280x720 frames about 5% faster; 11 gains
// nothing more.
const lutBits = 10

// huffTable is one Huffman table: a lookup table for codes up to lutBits
// long, and the canonical decoding tables for longer ones.
type huffTable struct {
	present bool
	// lut[peek] = length<<8 | symbol for codes of at most lutBits bits; 0
	// means a longer code.
	lut [1 << lutBits]uint16
	// fastAC[peek] = value<<16 | run<<8 | length for the AC codes whose
	// symbol's extra bits fit in the same lutBits bits with the code:
	// run zeros, then the coefficient value, length bits in all. 0 means
	// take the slow path.
	fastAC  [1 << lutBits]int32
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
					if size := int(sym & 15); size > 0 && l+size <= lutBits {
						extra := (i >> (shift - size)) & (1<<size - 1)
						h.fastAC[i] = extend(extra, uint(size))<<16 | int32(sym>>4)<<8 | int32(l+size)
					}
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
	// Fast path: the next eight bytes hold no 0xFF; as many of them as
	// fit go in at once.
	if !b.marker && b.pos+8 <= len(b.data) && b.n <= 56 {
		x := binary.BigEndian.Uint64(b.data[b.pos:])
		const ones, highs = 0x0101010101010101, 0x8080808080808080
		if (^x-ones)&x&highs == 0 { // no byte of ^x is zero
			k := (64 - b.n) / 8
			b.acc |= x >> (64 - 8*k) << (64 - b.n - 8*k)
			b.pos += int(k)
			b.n += 8 * k
			return
		}
	}
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
	return extend(v, s)
}

// extend turns s bits v into the signed value JPEG codes with them.
func extend(v int32, s uint) int32 {
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
	done   bool // its scan has been decoded
	// The decoded plane, padded to whole blocks: blocksW*n x blocksH*n.
	pix              []byte
	stride           int
	blocksW, blocksH int
	// The blocks to transform: those the decoder's region needs.
	need image.Rectangle
}

// jpegDecoder decodes JPEGs into planes; it keeps its buffers between
// images. It is not safe for concurrent use.
type jpegDecoder struct {
	qt            [4][64]int32
	qtPresent     [4]bool
	huff          [2][4]huffTable
	comps         [4]jpegComponent
	ncomp         int
	width, height int
	hmax, vmax    int
	restartEvery  int
	frameSeen     bool
	adobe         bool // an Adobe APP14 segment was seen
	adobeRGB      bool // ... saying the components are R, G, B
	jfif          bool

	n       int         // output pixels per block side: the image at n/8 of its size
	want    int         // components to decode: 1 (luma) or all
	scaled  [8][8]int32 // the shrunk inverse DCT for n < 8 (scaledBits)
	scaledN int
	// scaledTmp is idctScaled's intermediate block.
	scaledTmp [64]int32
	bits      bitReader
	blk       [64]int32 // the block being decoded, dequantized
	// need is the region of the picture (in its pixels) whose pixels are
	// wanted; empty means all of them.
	need image.Rectangle
}

// jpegHeader is what the frame header of a JPEG says.
type jpegHeader struct {
	width, height int
	components    int
	progressive   bool
}

// readJPEGHeader reads the frame header of a JPEG.
func readJPEGHeader(data []byte) (jpegHeader, error) {
	var d jpegDecoder
	err := d.parse(data, false)
	if !d.frameSeen {
		if err == nil {
			err = errors.New("jpeg: no frame header")
		}
		return jpegHeader{}, err
	}
	return jpegHeader{width: d.width, height: d.height, components: d.ncomp, progressive: errors.Is(err, errJPEGUnsupported)}, nil
}

// decode decodes data at n/8 of its size (n 1 to 8, libjpeg's scale_num
// over 8), only its luma (or gray) plane when lumaOnly is set. The
// picture's planes are owned by d until the next call.
func (d *jpegDecoder) decode(data []byte, n int, lumaOnly bool) (Picture, error) {
	if n < 1 || n > 8 {
		return Picture{}, fmt.Errorf("jpeg: scale %d/8, want 1/8 to 8/8", n)
	}
	d.n = n
	if d.n < 8 && d.scaledN != d.n {
		d.scaledN = d.n
		d.scaled = scaledIDCT(d.n)
	}
	d.want = 3
	if lumaOnly {
		d.want = 1
	}
	if err := d.parse(data, true); err != nil {
		return Picture{}, err
	}
	pic := Picture{Model: Gray, Width: scaledSize(d.width, n), Height: scaledSize(d.height, n), SubX: 1, SubY: 1, Scale: 8, ScaleNum: n}
	if 8%n == 0 {
		pic.Scale, pic.ScaleNum = 8/n, 0 // 1/2, 1/4, 1/8 as they were
	}
	for i := range min(d.want, d.ncomp) {
		c := &d.comps[i]
		cw := (d.width*c.h + d.hmax - 1) / d.hmax
		ch := (d.height*c.v + d.vmax - 1) / d.vmax
		pic.Planes[i] = Plane{Pix: c.pix, Width: scaledSize(cw, n), Height: scaledSize(ch, n), Stride: c.stride, Step: 1}
	}
	if d.ncomp == 3 && d.want == 3 {
		pic.Model = YCbCr
		pic.SubX, pic.SubY = d.hmax/d.comps[1].h, d.vmax/d.comps[1].v
	}
	return pic, nil
}

// scaledSize is the length of side pixels decoded at n/8 of the size.
func scaledSize(side, n int) int { return (side*n + 7) / 8 }

func u16(b []byte) int { return int(b[0])<<8 | int(b[1]) }

// parse walks the markers of data; with decode set it decodes the scans
// until the components wanted are done, else it stops after the frame
// header.
func (d *jpegDecoder) parse(data []byte, decode bool) error {
	d.frameSeen, d.restartEvery, d.ncomp = false, 0, 0
	d.adobe, d.adobeRGB, d.jfif = false, false, false
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
			d.parseSOF(seg) // for the size; the coding is not ours
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
		case 0xE0:
			d.jfif = d.jfif || (len(seg) >= 5 && string(seg[:5]) == "JFIF\x00")
		case 0xEE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeRGB = true, seg[11] == 0
			}
		case 0xDA:
			if !d.frameSeen {
				return errors.New("jpeg: scan before the frame header")
			}
			if d.ncomp == 3 && d.isRGB() {
				return errJPEGUnsupported
			}
			end, err := d.scan(seg, data[pos:])
			if err != nil {
				return err
			}
			if d.finished() {
				return nil
			}
			pos += end
		}
		if err != nil {
			return err
		}
	}
}

// isRGB reports a 3-component image whose components are R, G, B rather
// than Y, Cb, Cr (as image/jpeg decides it).
func (d *jpegDecoder) isRGB() bool {
	if d.jfif {
		return false
	}
	if d.adobe {
		return d.adobeRGB
	}
	return d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B'
}

// finished reports whether every component wanted has been decoded.
func (d *jpegDecoder) finished() bool {
	for i := range min(d.want, d.ncomp) {
		if !d.comps[i].done {
			return false
		}
	}
	return true
}

func (d *jpegDecoder) parseSOF(seg []byte) error {
	if d.frameSeen {
		return errors.New("jpeg: two frame headers")
	}
	if len(seg) < 6 {
		return errors.New("jpeg: short frame header")
	}
	d.height, d.width, d.ncomp = u16(seg[1:]), u16(seg[3:]), int(seg[5])
	if d.width == 0 || d.height == 0 || d.width > MaxSide || d.height > MaxSide {
		return fmt.Errorf("jpeg: image size %dx%d out of range (1..%d)", d.width, d.height, MaxSide)
	}
	d.frameSeen = true
	if seg[0] != 8 {
		return errJPEGUnsupported // 12-bit samples
	}
	if d.ncomp != 1 && d.ncomp != 3 {
		return errJPEGUnsupported // CMYK and others
	}
	if len(seg) != 6+3*d.ncomp {
		return errors.New("jpeg: bad frame header length")
	}
	d.hmax, d.vmax = 1, 1
	for i := range d.ncomp {
		c := &d.comps[i]
		c.id, c.h, c.v, c.tq = seg[6+3*i], int(seg[7+3*i]>>4), int(seg[7+3*i]&15), int(seg[8+3*i])
		c.done = false
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
	if d.ncomp == 3 {
		c1, c2 := d.comps[1], d.comps[2]
		if c1.h != c2.h || c1.v != c2.v || d.hmax%c1.h != 0 || d.vmax%c1.v != 0 {
			return errJPEGUnsupported // chroma planes of different sampling
		}
	}
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
				d.qt[id][k] = int32(seg[1+k])
			} else {
				d.qt[id][k] = int32(u16(seg[1+2*k:]))
			}
		}
		d.qtPresent[id] = true
		seg = seg[1+size:]
	}
	return nil
}

// scan decodes one scan whose header is seg and whose entropy-coded data
// starts rest, and returns how far the data went.
func (d *jpegDecoder) scan(seg, rest []byte) (end int, err error) {
	if len(seg) < 1 {
		return 0, errors.New("jpeg: short scan header")
	}
	ns := int(seg[0])
	if ns < 1 || ns > d.ncomp || len(seg) != 4+2*ns {
		return 0, errors.New("jpeg: bad scan header")
	}
	var scomp [4]int
	for i := range ns {
		id, tables := seg[1+2*i], seg[2+2*i]
		ci := -1
		for j := range d.ncomp {
			if d.comps[j].id == id {
				ci = j
			}
		}
		if ci < 0 {
			return 0, errors.New("jpeg: scan names an unknown component")
		}
		c := &d.comps[ci]
		c.td, c.ta, c.pred = int(tables>>4), int(tables&15), 0
		if c.td > 3 || c.ta > 3 || !d.huff[0][c.td].present || !d.huff[1][c.ta].present {
			return 0, errors.New("jpeg: scan uses a missing huffman table")
		}
		if !d.qtPresent[c.tq] {
			return 0, errors.New("jpeg: component uses a missing quantization table")
		}
		scomp[i] = ci
	}
	if ss, se, a := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]; ss != 0 || se != 63 || a != 0 {
		return 0, errJPEGUnsupported
	}
	d.bits = bitReader{data: rest}
	mcuW, mcuH := 8*d.hmax, 8*d.vmax
	mcusX, mcusY := (d.width+mcuW-1)/mcuW, (d.height+mcuH-1)/mcuH
	interleaved := ns > 1
	// Every block takes at least two bits: a size claimed by a broken
	// header cannot make us allocate much more than the data.
	blocks := 0
	for i := range ns {
		c := &d.comps[scomp[i]]
		if interleaved {
			c.blocksW, c.blocksH = mcusX*c.h, mcusY*c.v
		} else {
			cw := (d.width*c.h + d.hmax - 1) / d.hmax
			ch := (d.height*c.v + d.vmax - 1) / d.vmax
			c.blocksW, c.blocksH = (cw+7)/8, (ch+7)/8
		}
		blocks += c.blocksW * c.blocksH
	}
	if blocks > 4*len(rest)+64 {
		return 0, fmt.Errorf("jpeg: %d bytes of image data cannot hold %dx%d pixels", len(rest), d.width, d.height)
	}
	n := d.n
	for i := range ns {
		ci := scomp[i]
		c := &d.comps[ci]
		if ci >= d.want {
			continue
		}
		// The plane covers the whole MCUs even for a non-interleaved scan.
		c.stride = mcusX * c.h * n
		size := c.stride * mcusY * c.v * n
		c.pix = grow(c.pix, size)
		c.need = d.blocksNeeded(c)
	}
	var total int
	if interleaved {
		total = mcusX * mcusY
	} else {
		c := &d.comps[scomp[0]]
		total = c.blocksW * c.blocksH
	}
	for mcu := range total {
		if d.restartEvery > 0 && mcu > 0 && mcu%d.restartEvery == 0 {
			if err := d.bits.restart(); err != nil {
				return 0, err
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
						if err := d.block(ci, mx*c.h+h, my*c.v+v); err != nil {
							return 0, err
						}
					}
				}
			}
		} else {
			c := &d.comps[scomp[0]]
			if err := d.block(scomp[0], mcu%c.blocksW, mcu/c.blocksW); err != nil {
				return 0, err
			}
		}
		if d.bits.overrun() {
			return 0, errors.New("jpeg: image data is truncated")
		}
	}
	for i := range ns {
		d.comps[scomp[i]].done = true
	}
	// Skip to the marker after this scan.
	end = d.bits.pos
	for end+1 < len(rest) && (rest[end] != 0xFF || rest[end+1] == 0 || (rest[end+1] >= 0xD0 && rest[end+1] <= 0xD7)) {
		end++
	}
	return end, nil
}

// blocksNeeded returns the blocks of component c that cover d.need, with
// a sample to spare on every side for chroma upsampling.
func (d *jpegDecoder) blocksNeeded(c *jpegComponent) image.Rectangle {
	all := image.Rect(0, 0, c.blocksW, c.blocksH)
	if d.need.Empty() {
		return all
	}
	r, n := d.need, d.n
	x0, x1 := r.Min.X*c.h/d.hmax-1, (r.Max.X*c.h+d.hmax-1)/d.hmax+1
	y0, y1 := r.Min.Y*c.v/d.vmax-1, (r.Max.Y*c.v+d.vmax-1)/d.vmax+1
	return image.Rect(max(x0, 0)/n, max(y0, 0)/n, (x1+n-1)/n, (y1+n-1)/n).Intersect(all)
}

// block decodes the next block of component ci, at block (bx, by) of its
// plane, and transforms it when the component is wanted.
func (d *jpegDecoder) block(ci, bx, by int) error {
	c := &d.comps[ci]
	b := &d.bits
	s, ok := b.decode(&d.huff[0][c.td])
	if !ok || s > 11 {
		return errors.New("jpeg: bad huffman code")
	}
	if s > 0 {
		c.pred += b.receive(uint(s))
	}
	out := ci < d.want && bx >= c.need.Min.X && bx < c.need.Max.X && by >= c.need.Min.Y && by < c.need.Max.Y
	q := &d.qt[c.tq]
	// The coefficients live in d, not on the stack: the transform is
	// reached through the kernels' dispatch table, which would make a
	// local array escape, one allocation per block.
	blk := &d.blk
	if out {
		*blk = [64]int32{}
		blk[0] = c.pred * q[0]
	}
	last := 0 // natural-order bound of the nonzero coefficients: row and column
	ac := &d.huff[1][c.ta]
	// The bit buffer lives in registers while the short codes decode;
	// b holds it across the calls.
	acc, nb := b.acc, b.n
	for k := 1; k < 64; k++ {
		var v int32
		if nb < 32 {
			b.acc, b.n = acc, nb
			b.fill()
			acc, nb = b.acc, b.n
		}
		if f := ac.fastAC[acc>>(64-lutBits)]; f != 0 {
			// A short code and its value at once.
			l := uint(f & 15)
			acc <<= l
			nb -= l
			k += int(f>>8) & 15
			v = f >> 16
		} else {
			b.acc, b.n = acc, nb
			rs, ok := b.decode(ac)
			if !ok {
				return errors.New("jpeg: bad huffman code")
			}
			r, s := int(rs>>4), uint(rs&15)
			if s == 0 {
				acc, nb = b.acc, b.n
				if r != 15 {
					break
				}
				k += 15
				continue
			}
			k += r
			v = b.receive(s)
			acc, nb = b.acc, b.n
		}
		if k > 63 {
			return errors.New("jpeg: coefficient index out of range")
		}
		if out {
			z := zigzag[k]
			blk[z] = v * q[k]
			last |= 1 << (z & 7) // columns used, in the low byte
			last |= 1 << (8 + z>>3)
		}
	}
	b.acc, b.n = acc, nb
	if !out {
		return nil
	}
	n := d.n
	off := by*n*c.stride + bx*n
	if off+(n-1)*c.stride+n > len(c.pix) {
		return nil // a block past the padded plane (corrupt sampling): ignore
	}
	dst := c.pix[off:]
	switch {
	case last == 0:
		// DC only: a flat block at every scale.
		v := clamp255(128 + (blk[0]+4)>>3)
		for y := range n {
			row := dst[y*c.stride : y*c.stride+n]
			for x := range row {
				row[x] = v
			}
		}
	case n == 8:
		kernels.IDCTIslow(blk, dst, c.stride)
	case n == 4:
		d.idctScaled4(blk, dst, c.stride)
	default:
		d.idctScaled(blk, last, dst, c.stride)
	}
	return nil
}
