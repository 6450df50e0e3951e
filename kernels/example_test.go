package kernels_test

import (
	"fmt"
	"os"

	"github.com/edgecnn/edgecnn/kernels"
)

// A 2×3 by 3×2 product: C = A·B.
func ExampleSgemm() {
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{
		1, 0,
		0, 1,
		1, 1,
	}
	c := make([]float32, 4)
	kernels.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [4 5 10 11]
}

// A 3×3 convolution with one 2×2 filter, as Im2col then Sgemm.
func ExampleIm2col() {
	img := []float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}
	g := kernels.ConvGeom{C: 1, H: 3, W: 3, KH: 2, KW: 2, SH: 1, SW: 1, OutH: 2, OutW: 2}
	col := make([]float32, g.C*g.KH*g.KW*g.OutH*g.OutW)
	kernels.Im2col(img, g, col)
	filter := []float32{1, 0, 0, -1} // top-left minus bottom-right
	out := make([]float32, g.OutH*g.OutW)
	kernels.Sgemm(false, false, 1, g.OutH*g.OutW, g.C*g.KH*g.KW, 1, filter, 4, col, g.OutH*g.OutW, 0, out, g.OutH*g.OutW)
	fmt.Println(out)
	// Output: [-4 -4 -4 -4]
}

func ExamplePath() {
	if err := kernels.EnvError(); err != nil {
		// e.g. EDGECNN_KERNELS=neon: kernels: path "neon": needs arm64, but this binary is amd64 (using generic)
		fmt.Fprintln(os.Stderr, err)
	}
	fmt.Fprintln(os.Stderr, "kernels:", kernels.Path())
	fmt.Println(kernels.Paths()[0])
	// Output: generic
}
