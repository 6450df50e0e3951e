package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/nn"
)

// randomModel returns a model using every inference layer type, with
// strides, asymmetric padding, groups and random parameters.
func randomModel(t *testing.T, seed uint64) *nn.Model {
	t.Helper()
	in := nn.Input{Channels: 2, Height: 12, Width: 11, Mean: []float32{0.1, 0.2}, Std: []float32{0.5, 0.25}}
	m := nn.Sequential("test", in, []string{"a", "b", "c", "d"},
		&nn.Node{Name: "c1", Op: nn.OpConv2D, Out: 6, Kernel: [2]int{3, 2}, Stride: [2]int{1, 2}, Pad: [4]int{1, 0, 2, 1}, Groups: 2},
		nn.Act("r1", nn.OpReLU6),
		&nn.Node{Name: "p1", Op: nn.OpMaxPool, Kernel: [2]int{2, 2}, Stride: [2]int{2, 1}, Pad: [4]int{1, 1, 0, 0}},
		nn.Conv("c2", 5, 3, 1, 1), nn.Act("t2", nn.OpTanh),
		&nn.Node{Name: "p2", Op: nn.OpAvgPool, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 1, 1}},
		nn.Flat("f"), nn.Drop("d", 0.5), nn.FC("l1", 7), nn.Act("r2", nn.OpReLU), nn.FC("l2", 4))
	require.NoError(t, m.InitParams())
	rng := rand.New(rand.NewPCG(seed, 9))
	for _, p := range m.Params {
		for i := range p.F32 {
			p.F32[i] = float32(rng.NormFloat64() * 0.5)
		}
	}
	return m
}

func randomPixels(n int, seed uint64) []uint8 {
	rng := rand.New(rand.NewPCG(seed, 1))
	px := make([]uint8, n)
	for i := range px {
		px[i] = uint8(rng.IntN(256))
	}
	return px
}

// reference is a direct, loop-by-loop forward pass of one sample, written
// from the layer definitions without im2col or GEMM.
func reference(m *nn.Model, pixels []uint8) []float32 {
	x := make([]float32, len(pixels))
	m.Input.Normalize(x, pixels)
	shape := m.Input.Shape()
	for _, n := range m.Nodes {
		w, b := m.Weight(n), m.Bias(n)
		switch n.Op {
		case nn.OpConv2D, nn.OpMaxPool, nn.OpAvgPool:
			c, h, wd := shape[0], shape[1], shape[2]
			oh := (h+n.Pad[0]+n.Pad[2]-n.Kernel[0])/n.Stride[0] + 1
			ow := (wd+n.Pad[1]+n.Pad[3]-n.Kernel[1])/n.Stride[1] + 1
			oc := c
			if n.Op == nn.OpConv2D {
				oc = n.Out
			}
			y := make([]float32, oc*oh*ow)
			for o := range oc {
				for oy := range oh {
					for ox := range ow {
						acc, count, best := float64(0), 0, float32(math.Inf(-1))
						chans := []int{o}
						if n.Op == nn.OpConv2D {
							cg := c / n.Groups
							g := o / (n.Out / n.Groups)
							chans = nil
							for ci := g * cg; ci < (g+1)*cg; ci++ {
								chans = append(chans, ci)
							}
						}
						for k, ci := range chans {
							for ky := range n.Kernel[0] {
								for kx := range n.Kernel[1] {
									iy, ix := oy*n.Stride[0]-n.Pad[0]+ky, ox*n.Stride[1]-n.Pad[1]+kx
									if iy < 0 || iy >= h || ix < 0 || ix >= wd {
										continue
									}
									v := x[(ci*h+iy)*wd+ix]
									switch n.Op {
									case nn.OpConv2D:
										acc += float64(v) * float64(w.F32[((o*len(chans)+k)*n.Kernel[0]+ky)*n.Kernel[1]+kx])
									case nn.OpMaxPool:
										best = max(best, v)
									default:
										acc += float64(v)
										count++
									}
								}
							}
						}
						i := (o*oh+oy)*ow + ox
						switch n.Op {
						case nn.OpConv2D:
							y[i] = float32(acc) + b.F32[o]
						case nn.OpMaxPool:
							y[i] = best
						default:
							y[i] = float32(acc / float64(count))
						}
					}
				}
			}
			x, shape = y, nn.Shape{oc, oh, ow}
		case nn.OpLinear:
			y := make([]float32, n.Out)
			for o := range n.Out {
				acc := float64(b.F32[o])
				for i, v := range x {
					acc += float64(v) * float64(w.F32[o*len(x)+i])
				}
				y[o] = float32(acc)
			}
			x, shape = y, nn.Shape{n.Out}
		case nn.OpReLU, nn.OpReLU6, nn.OpTanh:
			Activate(n.Op, x, x)
		case nn.OpFlatten:
			shape = nn.Shape{len(x)}
		}
	}
	return x
}

func TestInferMatchesDirectReference(t *testing.T) {
	m := randomModel(t, 1)
	e, err := New(m, Options{Threads: 1})
	require.NoError(t, err)
	const n = 5
	size := m.Input.Shape().Size()
	pixels := randomPixels(n*size, 2)
	logits, err := e.Infer(pixels, n)
	require.NoError(t, err)
	for s := range n {
		want := reference(m, pixels[s*size:(s+1)*size])
		require.InDeltaSlice(t, want, logits[s*4:(s+1)*4], 1e-4, "sample %d", s)
	}
}

// TestBatchAndThreadsDoNotChangeResults: a sample's logits are the same
// bits whether it runs alone, in a batch, or on another worker.
func TestBatchAndThreadsDoNotChangeResults(t *testing.T) {
	m := randomModel(t, 3)
	size := m.Input.Shape().Size()
	const n = 7
	pixels := randomPixels(n*size, 4)
	one, err := New(m, Options{Threads: 1})
	require.NoError(t, err)
	var alone []float32
	for s := range n {
		l, err := one.Infer(pixels[s*size:(s+1)*size], 1)
		require.NoError(t, err)
		alone = append(alone, l...)
	}
	for _, threads := range []int{1, 2, 3, 8} {
		e, err := New(m, Options{Threads: threads})
		require.NoError(t, err)
		SplitSmallLayers(e)
		batched, err := e.Infer(pixels, n)
		require.NoError(t, err)
		require.Equal(t, alone, batched, "threads %d", threads)
		// A single image splits its layers across the threads instead.
		single, err := e.Infer(pixels[:size], 1)
		require.NoError(t, err)
		require.Equal(t, alone[:4], single, "threads %d, one image", threads)
		e.Close()
	}
}

func TestInferAllocatesNothingInSteadyState(t *testing.T) {
	if RaceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	m := randomModel(t, 5)
	pixels := randomPixels(4*m.Input.Shape().Size(), 6)
	for _, threads := range []int{1, 2} {
		e, err := New(m, Options{Threads: threads})
		require.NoError(t, err)
		SplitSmallLayers(e)
		for _, n := range []int{1, 4} {
			_, err = e.Infer(pixels[:n*m.Input.Shape().Size()], n)
			require.NoError(t, err)
			require.Zero(t, testing.AllocsPerRun(20, func() { e.Infer(pixels[:n*m.Input.Shape().Size()], n) }), "threads %d batch %d", threads, n)
		}
		e.Close()
	}
}

func TestInferRejectsWrongSizes(t *testing.T) {
	m := randomModel(t, 7)
	e, err := New(m, Options{Threads: 1})
	require.NoError(t, err)
	_, err = e.Infer(make([]uint8, 10), 1)
	require.ErrorContains(t, err, "got 10 bytes for 1 images of 2x12x11")
	_, err = e.InferFloat([]float32{float32(math.NaN())}, 1)
	require.Error(t, err)
}

func TestSoftmax(t *testing.T) {
	p := make([]float32, 3)
	Softmax(p, []float32{1000, 1000, -1000})
	require.InDeltaSlice(t, []float32{0.5, 0.5, 0}, p, 1e-6)
}
