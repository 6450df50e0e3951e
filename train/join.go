package train

// joiner is the training-time form of a node with several inputs. Like
// layer, but with one input (and input gradient) per source; a nil dxs[k]
// means nobody needs that gradient.
type joiner interface {
	join(xs [][]float32, y []float32, n int)
	split(dy []float32, dxs [][]float32, n int)
}

// add is the element-wise sum of its inputs (a residual connection).
type add struct{ size int }

func (a add) join(xs [][]float32, y []float32, n int) {
	y = y[:n*a.size]
	x0, x1 := xs[0][:len(y)], xs[1][:len(y)]
	for i := range y {
		y[i] = x0[i] + x1[i]
	}
}

func (a add) split(dy []float32, dxs [][]float32, n int) {
	for _, dx := range dxs {
		if dx != nil {
			copy(dx[:n*a.size], dy)
		}
	}
}

// concat joins CxHxW inputs along channels. In the channel-major layout of
// a shard each input's channels are one contiguous run, and so are they in
// the output: the join is one copy per input, and none for an input that
// its layer wrote in place (replica.placeConcats).
type concat struct{ sizes []int } // per sample, of each input

func (c concat) join(xs [][]float32, y []float32, n int) {
	off := 0
	for k, x := range xs {
		size := n * c.sizes[k]
		if size > 0 && &x[0] != &y[off] {
			copy(y[off:off+size], x)
		}
		off += size
	}
}

func (c concat) split(dy []float32, dxs [][]float32, n int) {
	off := 0
	for k, dx := range dxs {
		size := n * c.sizes[k]
		if dx != nil {
			copy(dx, dy[off:off+size])
		}
		off += size
	}
}
