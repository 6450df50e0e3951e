//go:build !purego

package kernels

// The int8 max pool of the neon and dotprod paths (pool_arm64.s): SMAX on
// 16 outputs of a row at a time; stride 2 loads 32 columns with LD2, which
// splits them into even and odd ones. The driver and the contract of
// maxPoolInt8Rows are in pool_asm.go.
