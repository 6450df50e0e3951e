//go:build !purego

package kernels

// lookupPlanesNEON is the lookupPlanes field of the arm64 paths: colour
// images, 32 pixels per step.
func lookupPlanesNEON(dst []int8, src []uint8, tables []int8) int {
	if len(tables) != 3*256 {
		return 0
	}
	pixels := len(src) / 3
	steps := pixels / 32
	if steps == 0 {
		return 0
	}
	i8LookupPlanes3NEON(&dst[0], &src[0], &tables[0], pixels, steps)
	return 32 * steps
}

// i8LookupPlanes3NEON computes pixels [0, 32*steps) of
// LookupPlanesInt8HWC for three planes of pixels values each
// (i8_lookup_planes_arm64.s).
//
//go:noescape
func i8LookupPlanes3NEON(dst *int8, src *uint8, tables *int8, pixels, steps int)
