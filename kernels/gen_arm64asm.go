package kernels

// The arm64 assembly is generated from templates by tools/asmgen, which
// needs GNU as for aarch64 (Debian: binutils-aarch64-linux-gnu). Only
// go generate runs it; building and testing use the committed .s files.

//go:generate go run ../tools/asmgen -lib i8_requant_arm64.tmpl -in i8_gemv_arm64.s.in -out i8_gemv_arm64.s
//go:generate go run ../tools/asmgen -lib i8_requant_arm64.tmpl -in i8_gemm_arm64.s.in -out i8_gemm_arm64.s
//go:generate go run ../tools/asmgen -lib i8_requant_arm64.tmpl -in i8_dwconv_arm64.s.in -out i8_dwconv_arm64.s
//go:generate go run ../tools/asmgen -lib i8_requant_arm64.tmpl -in i8_add_arm64.s.in -out i8_add_arm64.s
//go:generate go run ../tools/asmgen -in f32_add_arm64.s.in -out f32_add_arm64.s
//go:generate go run ../tools/asmgen -in kernels_arm64.s.in -out kernels_arm64.s
//go:generate go run ../tools/asmgen -in i8_pack_arm64.s.in -out i8_pack_arm64.s
//go:generate go run ../tools/asmgen -in i8_maxpool_arm64.s.in -out i8_maxpool_arm64.s
//go:generate go run ../tools/asmgen -in i8_pixelsum_arm64.s.in -out i8_pixelsum_arm64.s
//go:generate go run ../tools/asmgen -in i8_lookup_planes_arm64.s.in -out i8_lookup_planes_arm64.s
//go:generate go run ../tools/asmgen -in u8_resample_arm64.s.in -out u8_resample_arm64.s
//go:generate go run ../tools/asmgen -in u8_upsample_arm64.s.in -out u8_upsample_arm64.s
//go:generate go run ../tools/asmgen -in u8_resample_rows_arm64.s.in -out u8_resample_rows_arm64.s
//go:generate go run ../tools/asmgen -in u8_ycc_arm64.s.in -out u8_ycc_arm64.s
//go:generate go run ../tools/asmgen -in u8_idct_arm64.s.in -out u8_idct_arm64.s
