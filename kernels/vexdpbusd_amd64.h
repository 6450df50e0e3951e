// VEXDPBUSD encodes VPDPBUSD in its VEX form (AVX-VNNI, for CPUs without
// AVX-512) on YMM registers, shared by int8_amd64.s and gemv_amd64.s. Go's
// assembler knows only the EVEX form, so the instruction is written as bytes:
//
//	VEX.256.66.0F38.W0 50 /r   vpdpbusd ymm(acc), ymm(u8), ymm(s8)
//	C4  [~R ~X ~B 00010]  [W=0 ~vvvv L=1 pp=01]  50  [11 acc&7 s8&7]
//
// where R and B are bit 3 of the acc and s8 register numbers and vvvv the
// u8 register (~ is bitwise not: 1-bit and 15-vvvv for registers 0-15):
// acc += the sum of four u8 × s8 products per dword lane. The arguments are
// register numbers, 0-15.
// (Checked against GNU as: "{vex} vpdpbusd ymm11, ymm13, ymm14" is
// c4 42 15 50 de.)
#define VEXDPBUSD(acc, u8, s8) \
	BYTE $0xC4; \
	BYTE $(((1-((acc)>>3))<<7) | 0x40 | ((1-((s8)>>3))<<5) | 0x02); \
	BYTE $(((15-(u8))<<3) | 0x05); \
	BYTE $0x50; \
	BYTE $(0xC0 | (((acc)&7)<<3) | ((s8)&7))
