// CLAMP clamps V (Y or X registers alike, packed or scalar compares by
// CMP) to [LO, HI] with Go's max and min, shared by the float32 epilogues
// (f32_biasclamp_amd64.s, f32_add_amd64.s): VMAXPS and VMINPS take V as
// their second operand, which they return when either is NaN, so a NaN
// value stays NaN (callers keep NaN bounds for Go); where V equals the
// bound, the result is their bitwise AND for max and OR for min, which
// orders -0 below +0 as Go does. T and M are scratch.
#define CLAMP(V, T, M, LO, HI, CMP) \
	CMP       $0, LO, V, M \
	VANDPS    LO, V, T     \
	VMAXPS    V, LO, V     \
	VBLENDVPS M, T, V, V   \
	CMP       $0, HI, V, M \
	VORPS     HI, V, T     \
	VMINPS    V, HI, V     \
	VBLENDVPS M, T, V, V
