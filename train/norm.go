package train

import (
	"math"

	"github.com/edgecnn/edgecnn/nn"
)

// batchNorm is BatchNorm2d over a channel-major shard: the n*H*W values of
// channel c are one contiguous run. In training it normalises with the
// shard's statistics and keeps them (mean and unbiased variance per
// channel) for the trainer, which merges the shards' into the running
// statistics after the step (mergeStats); at inference it uses the running
// statistics.
type batchNorm struct {
	node         *nn.Node
	w, b         *param
	runMean      []float32 // the model's running statistics: read here, written by mergeStats
	runVar       []float32
	plane        int       // H*W
	mean, invStd []float32 // of the last training forward, per channel
	batchVar     []float32 // biased variance of the last training forward
	n            int       // samples of the last training forward
	// act is the ReLU or ReLU6 the batch norm applies to its output in
	// place of the layer after it (see replica.foldActivations), or "".
	act nn.Op
}

func newBatchNorm(n *nn.Node, in nn.Shape, w, b *param, m *nn.Model) *batchNorm {
	c := in[0]
	return &batchNorm{node: n, w: w, b: b, runMean: m.RunningMean(n).F32, runVar: m.RunningVar(n).F32,
		plane: in[1] * in[2], mean: make([]float32, c), invStd: make([]float32, c), batchVar: make([]float32, c)}
}

func (l *batchNorm) forward(x, y []float32, n int, training bool) {
	size := n * l.plane
	eps := float64(l.node.Eps)
	l.n = n
	for c := range l.w.w {
		xs, ys := x[c*size:(c+1)*size], y[c*size:(c+1)*size]
		var mean, inv float64
		if training {
			mean = sum64(xs) / float64(size)
			vr := sumSquares64(xs, mean) / float64(size)
			inv = 1 / math.Sqrt(vr+eps)
			l.mean[c], l.invStd[c], l.batchVar[c] = float32(mean), float32(inv), float32(vr)
		} else {
			mean, inv = float64(l.runMean[c]), 1/math.Sqrt(float64(l.runVar[c])+eps)
		}
		// y = x*scale + shift
		scale := float32(float64(l.w.w[c]) * inv)
		shift := float32(float64(l.b.w[c]) - float64(mean*float64(l.w.w[c])*inv))
		for i, v := range xs {
			ys[i] = float32(v*scale) + shift
		}
		// Each channel's run (at most a few hundred KiB) is still in
		// cache for the activation.
		switch l.act {
		case nn.OpReLU:
			reluForward(ys, ys)
		case nn.OpReLU6:
			relu6Forward(ys, ys)
		}
	}
}

// backward is that of training mode: the statistics depend on x too.
// With xhat = (x - mean) * invStd and N values per channel,
// dgamma = sum(dy*xhat), dbeta = sum(dy) and
// dx = gamma*invStd/N * (N*dy - dbeta - xhat*dgamma).
// With an activation, dy (the gradient of the activation's output y) first
// becomes that of the batch norm's output, in place: nothing reads it after.
func (l *batchNorm) backward(x, y, dy, dx []float32, n int) {
	size := n * l.plane
	for c := range l.w.w {
		xs, dys := x[c*size:(c+1)*size], dy[c*size:(c+1)*size]
		switch l.act {
		case nn.OpReLU:
			reluBackward(dys, y[c*size:(c+1)*size], dys)
		case nn.OpReLU6:
			relu6Backward(dys, y[c*size:(c+1)*size], dys)
		}
		mean, inv := l.mean[c], l.invStd[c]
		sdy, sdyx := sumsDy64(dys, xs, mean)
		dgamma := sdyx * float64(inv)
		l.w.grad[c] = float32(dgamma)
		l.b.grad[c] = float32(sdy)
		if dx == nil {
			continue
		}
		dxs := dx[c*size : (c+1)*size]
		k := float32(float64(l.w.w[c]) * float64(inv))
		mdy := float32(sdy / float64(size))
		// xhat*dgamma/N = (x - mean) * inv*dgamma/N
		a := float32(float64(inv) * dgamma / float64(size))
		for i, d := range dys {
			dxs[i] = k * (d - mdy - float32((xs[i]-mean)*a))
		}
	}
}

// mergeStats folds the statistics of the shards of the last step, from the
// batch norms at one node of the busy replicas, into the running
// statistics, as if the whole batch had been one: the pooled mean and
// variance (unbiased, as PyTorch keeps it).
func mergeStats(shards []*batchNorm) {
	first := shards[0]
	mom := float64(first.node.Momentum)
	for c := range first.runMean {
		var count, sum float64
		for _, s := range shards {
			k := float64(s.n * s.plane)
			count += k
			sum += float64(k * float64(s.mean[c]))
		}
		mean := sum / count
		var sq float64
		for _, s := range shards {
			d := float64(s.mean[c]) - mean
			sq += float64(float64(s.n*s.plane) * (float64(s.batchVar[c]) + float64(d*d)))
		}
		unbiased := sq / max(count-1, 1)
		first.runMean[c] = float32(float64((1-mom)*float64(first.runMean[c])) + float64(mom*mean))
		first.runVar[c] = float32(float64((1-mom)*float64(first.runVar[c])) + float64(mom*unbiased))
	}
}

// The sums of the batch statistics and their gradients run over n*H*W
// values per channel, in float64, in two interleaved partial sums each: a
// single chain of dependent additions would wait out the latency of every
// one.

// sum64 returns the sum of xs.
func sum64(xs []float32) float64 {
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(xs); i += 2 {
		s0 += float64(xs[i])
		s1 += float64(xs[i+1])
	}
	if i < len(xs) {
		s0 += float64(xs[i])
	}
	return s0 + s1
}

// sumSquares64 returns the sum of (x - mean)^2 over xs.
func sumSquares64(xs []float32, mean float64) float64 {
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(xs); i += 2 {
		d0, d1 := float64(xs[i])-mean, float64(xs[i+1])-mean
		s0 += float64(d0 * d0)
		s1 += float64(d1 * d1)
	}
	if i < len(xs) {
		d := float64(xs[i]) - mean
		s0 += float64(d * d)
	}
	return s0 + s1
}

// sumsDy64 returns the sums of dy and of dy*(x - mean).
func sumsDy64(dy, x []float32, mean float32) (sdy, sdyx float64) {
	x = x[:len(dy)]
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+2 <= len(dy); i += 2 {
		d0, d1 := float64(dy[i]), float64(dy[i+1])
		a0 += d0
		a1 += d1
		b0 += float64(d0 * float64(x[i]-mean))
		b1 += float64(d1 * float64(x[i+1]-mean))
	}
	if i < len(dy) {
		d := float64(dy[i])
		a0 += d
		b0 += float64(d * float64(x[i]-mean))
	}
	return a0 + a1, b0 + b1
}
