//go:build !purego

package kernels

// The int8 max pool of the neon and dotprod paths (i8_maxpool_arm64.s): SMAX on
// 16 outputs of a row at a time; stride 2 loads 32 columns with LD2, which
// splits them into even and odd ones. The driver and the contract of
// i8MaxPoolRows are in i8_maxpool_asm.go.
