//go:build !purego

package kernels

// The int8 max pool of the avx2, avxvnni and vnni paths (i8_maxpool_amd64.s):
// VPMAXSB on 16 outputs of a row at a time, in an XMM register for stride
// 1; stride 2 maxes 32 columns in a YMM register, then each even column
// with the odd one after it, and gathers the even bytes. The driver and
// the contract of i8MaxPoolRows are in i8_maxpool_asm.go.
