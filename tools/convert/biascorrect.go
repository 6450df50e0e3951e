package convert

import (
	"slices"

	"github.com/edgecnn/edgecnn/nn"
)

// Bias correction (Nagel et al., "Data-Free Quantization Through Weight
// Equalization and Bias Correction", 2019, with the input means measured
// on the calibration images). Rounding a layer's weights to int8 changes
// its output by ΔW·x, ΔW being the rounded weights minus the float ones.
// Over the images that error has a mean, ΔW·E[x], which is large where the
// inputs have a mean of their own (after a ReLU, most of an input's energy
// is its mean): the int8 layer shifts each output channel by it, and the
// shift travels through every layer after. Subtracting it from the float
// bias before the bias is quantized removes it; the int8 arithmetic is
// unchanged, only the int32 bias differs.
//
// E[x] is taken tap by tap: for a convolution, the mean over the images and
// the output pixels of the input value that weight [o][c][kh][kw]
// multiplies, zero where the window reads padding, so that the correction
// is the exact mean of ΔW·x over the calibration images, borders included.

// tapMeans accumulates, for every conv2d and linear layer to be quantized,
// the sums of the input values each of its weights multiplies over the
// calibration images.
type tapMeans struct {
	m      *nn.Model
	shapes []nn.Shape     // of every node's output
	input  map[string]int // index of the tensor of each name in a batch's tensors (the model input last)
	sums   [][]float64    // by node: per input channel and tap (conv2d) or per feature (linear); nil for other layers
	counts []float64      // by node: the products each sum holds (images times output pixels)
	plane  []float64      // scratch: one input tensor summed over a batch's images
}

// newTapMeans returns the accumulator for the conv2d and linear layers of
// m that are not named in keep (layers kept float32 need no correction).
func newTapMeans(m *nn.Model, keep []string) (*tapMeans, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	t := &tapMeans{m: m, shapes: append(shapes, m.Input.Shape()), input: map[string]int{nn.InputName: len(shapes)},
		sums: make([][]float64, len(m.Nodes)), counts: make([]float64, len(m.Nodes))}
	for i, n := range m.Nodes {
		t.input[n.Name] = i
		if w := m.Weight(n); w != nil && !slices.Contains(keep, n.Name) {
			t.sums[i] = make([]float64, len(w.F32)/w.Shape[0]*groups(n))
		}
	}
	return t, nil
}

// groups returns the groups of a conv2d, 1 for a linear layer.
func groups(n *nn.Node) int {
	if n.Op == nn.OpConv2D {
		return max(1, n.Groups)
	}
	return 1
}

// observe adds a batch of n images: outs holds every node's float output
// for them (engine.Outputs, [n][C][H][W]) and the normalised model input
// last.
func (t *tapMeans) observe(outs [][]float32, n int) {
	for i, node := range t.m.Nodes {
		sums := t.sums[i]
		if sums == nil {
			continue
		}
		k := t.input[node.Inputs[0]]
		x, size := outs[k], t.shapes[k].Size()
		t.plane = slices.Grow(t.plane[:0], size)[:size]
		clear(t.plane)
		for s := range n {
			for j, v := range x[s*size : (s+1)*size] {
				t.plane[j] += float64(v)
			}
		}
		if node.Op == nn.OpLinear {
			for j, v := range t.plane {
				sums[j] += v
			}
			t.counts[i] += float64(n)
			continue
		}
		in, out := t.shapes[k], t.shapes[i]
		t.addTaps(sums, node, in[0], in[1], in[2], out[1], out[2])
		t.counts[i] += float64(n * out[1] * out[2])
	}
}

// addTaps adds to sums [c][kh][kw] the plane's values that tap (kh, kw) of
// conv2d node reads over its oh x ow output pixels, from an input of c
// channels of h x w.
func (t *tapMeans) addTaps(sums []float64, node *nn.Node, c, h, w, oh, ow int) {
	kh, kw := node.Kernel[0], node.Kernel[1]
	for ch := range c {
		plane := t.plane[ch*h*w : (ch+1)*h*w]
		for dy := range kh {
			for dx := range kw {
				var sum float64
				for y := range oh {
					iy := y*node.Stride[0] + dy - node.Pad[0]
					if iy < 0 || iy >= h {
						continue
					}
					row := plane[iy*w : (iy+1)*w]
					for x := range ow {
						if ix := x*node.Stride[1] + dx - node.Pad[1]; ix >= 0 && ix < w {
							sum += row[ix]
						}
					}
				}
				sums[(ch*kh+dy)*kw+dx] += sum
			}
		}
	}
}

// corrected returns node i's float bias minus the mean error its int8
// weights (q, per output channel scales) cause on the calibration images,
// or the float bias unchanged when nothing was measured for it.
func (t *tapMeans) corrected(i int, q []int8, scales []float32) []float32 {
	n := t.m.Nodes[i]
	bias := slices.Clone(t.m.Bias(n).F32)
	sums := t.sums[i]
	if sums == nil || t.counts[i] == 0 {
		return bias
	}
	w := t.m.Weight(n).F32
	out := len(bias)
	per := len(w) / out // weights per output channel: the taps of the input channels of its group
	perGroup := out / groups(n)
	for o := range out {
		g := o / perGroup
		taps := sums[g*per : (g+1)*per]
		var e float64
		for j, v := range w[o*per : (o+1)*per] {
			e += float64((float64(float64(q[o*per+j])*float64(scales[o])) - float64(v)) * taps[j])
		}
		bias[o] -= float32(e / t.counts[i])
	}
	return bias
}
