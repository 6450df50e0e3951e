package nn

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestArchCounts checks each architecture's depth (its convolutions and
// linear layers, shortcut projections not counted, as the papers count) and
// parameter count for 3x32x32 inputs and 10 classes: batch norm weight and
// bias counted, running statistics not, convolutions before a batch norm
// without bias, as PyTorch builds these networks. They match the published
// CIFAR-10 figures: ResNet-20 0.27M in 20 layers (He et al. 2016, table 6),
// the CIFAR ResNet-18 11.17M, MobileNet v1 3.2M in 28 layers, MobileNet v2
// 2.24M in 53 (torchvision's with 10 classes); DenseNet-BC-100 has 100
// layers and 0.75M parameters against the paper's 0.8M, its batch norms
// scaling the output channels of each convolution instead of the inputs.
// GoogLeNet (halved for 32x32), VGG-11 (with a 512-wide classifier) and
// ZFNet (a 32x32 stem) are our variants: their counts guard against
// accidental change. train/testdata/torch_step.py builds resnet20,
// mobilenetv2, vgg11, googlenet and densenet in PyTorch and prints the same
// counts.
func TestArchCounts(t *testing.T) {
	for _, tt := range []struct {
		arch          string
		width         float64
		depth, params int
	}{
		{"lenet5", 1, 5, 62006},
		{"alexnet", 1, 8, 29617546},
		{"zfnet", 1, 8, 29990026},
		{"vgg11", 1, 11, 9753674},
		{"resnet20", 1, 20, 272474},
		{"resnet18", 1, 18, 11173962},
		{"mobilenet", 1, 28, 3217226},
		{"mobilenetv2", 1, 53, 2236682},
		{"googlenet", 1, 56, 1475418},
		{"densenet", 1, 100, 751498},
		{"mobilenet", 0.5, 28, 0},
		{"mobilenetv2", 0.5, 53, 0},
	} {
		t.Run(fmt.Sprintf("%s-%g", tt.arch, tt.width), func(t *testing.T) {
			m, err := Build(Arch{Name: tt.arch, Input: rgb32(), Labels: make([]string, 10), Width: tt.width})
			require.NoError(t, err)
			st, err := m.Stats()
			require.NoError(t, err)
			depth, params := 0, 0
			for _, s := range st {
				params += s.Params
				if (s.Node.Op == OpConv2D || s.Node.Op == OpLinear) && !isShortcut(s.Node.Name) {
					depth++
				}
			}
			assert.Equal(t, tt.depth, depth)
			if tt.params != 0 {
				assert.Equal(t, tt.params, params)
			}
		})
	}
}

func isShortcut(name string) bool { return len(name) > 6 && name[len(name)-6:] == "_short" }

func TestWidthScalesMobileNets(t *testing.T) {
	count := func(arch string, width float64) int {
		m, err := Build(Arch{Name: arch, Input: gray32(), Labels: make([]string, 10), Width: width})
		require.NoError(t, err)
		st, err := m.Stats()
		require.NoError(t, err)
		n := 0
		for _, s := range st {
			n += s.Params
		}
		return n
	}
	for _, arch := range []string{"mobilenet", "mobilenetv2"} {
		assert.Less(t, count(arch, 0.5), count(arch, 1))
		assert.Less(t, count(arch, 1), count(arch, 1.4))
	}
	assert.Equal(t, 8, divisible(3))
	assert.Equal(t, 16, divisible(16))
	assert.Equal(t, 24, divisible(22.4))
}
