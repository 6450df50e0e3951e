package kernels

import "fmt"

// LookupPlanesInt8HWC maps an image of 8-bit planes (src: [C][pixels],
// as a camera frame or a decoded picture comes) through one 256-entry
// table per channel into an HWC int8 image: for C = len(tables)/256,
//
//	dst[p*C+c] = tables[c*256+src[c*pixels+p]]
//
// It is how an int8 model takes pixels: the tables hold each channel's
// normalised and quantized value of every pixel value. It panics on
// lengths that do not fit.
func LookupPlanesInt8HWC(dst []int8, src []uint8, tables []int8) {
	c := len(tables) / 256
	if c == 0 || len(tables)%256 != 0 || len(src)%c != 0 || len(dst) != len(src) {
		panic(fmt.Sprintf("kernels.LookupPlanesInt8HWC: %d values to %d through %d tables' values", len(src), len(dst), len(tables)))
	}
	done := 0
	if look := active.Load().lookupPlanes; look != nil {
		done = look(dst, src, tables)
	}
	lookupPlanesGeneric(dst, src, tables, done)
}

// lookupPlanesGeneric is LookupPlanesInt8HWC on pixels [p0, pixels), for
// checked arguments.
func lookupPlanesGeneric(dst []int8, src []uint8, tables []int8, p0 int) {
	c := len(tables) / 256
	pixels := len(src) / c
	if c == 3 {
		// Colour images, a pixel's three values at a time.
		t0, t1, t2 := (*[256]int8)(tables), (*[256]int8)(tables[256:]), (*[256]int8)(tables[512:])
		r, g, b := src[:pixels], src[pixels:2*pixels], src[2*pixels:]
		for p := p0; p < pixels; p++ {
			o := dst[3*p : 3*p+3 : 3*p+3]
			o[0], o[1], o[2] = t0[r[p]], t1[g[p]], t2[b[p]]
		}
		return
	}
	for ch := range c {
		t := (*[256]int8)(tables[ch*256:])
		plane := src[ch*pixels : (ch+1)*pixels]
		for p := p0; p < pixels; p++ {
			dst[p*c+ch] = t[plane[p]]
		}
	}
}
