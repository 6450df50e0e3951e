package kernels

// The arm64 assembly is generated from templates by tools/asmgen, which
// needs GNU as for aarch64 (Debian: binutils-aarch64-linux-gnu). Only
// go generate runs it; building and testing use the committed .s files.

//go:generate go run ../tools/asmgen -lib requant_arm64.tmpl -in gemv_arm64.s.in -out gemv_arm64.s
//go:generate go run ../tools/asmgen -lib requant_arm64.tmpl -in int8_arm64.s.in -out int8_arm64.s
//go:generate go run ../tools/asmgen -lib requant_arm64.tmpl -in i8_dwconv_arm64.s.in -out i8_dwconv_arm64.s
//go:generate go run ../tools/asmgen -in i8_add_arm64.s.in -out i8_add_arm64.s
//go:generate go run ../tools/asmgen -in kernels_arm64.s.in -out kernels_arm64.s
//go:generate go run ../tools/asmgen -in pack_arm64.s.in -out pack_arm64.s
//go:generate go run ../tools/asmgen -in pool_arm64.s.in -out pool_arm64.s
