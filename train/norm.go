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
			var sum float64
			for _, v := range xs {
				sum += float64(v)
			}
			mean = sum / float64(size)
			var sq float64
			for _, v := range xs {
				d := float64(v) - mean
				sq += d * d
			}
			vr := sq / float64(size)
			inv = 1 / math.Sqrt(vr+eps)
			l.mean[c], l.invStd[c], l.batchVar[c] = float32(mean), float32(inv), float32(vr)
		} else {
			mean, inv = float64(l.runMean[c]), 1/math.Sqrt(float64(l.runVar[c])+eps)
		}
		// y = x*scale + shift
		scale := float32(float64(l.w.w[c]) * inv)
		shift := float32(float64(l.b.w[c]) - mean*float64(l.w.w[c])*inv)
		for i, v := range xs {
			ys[i] = v*scale + shift
		}
	}
}

// backward is that of training mode: the statistics depend on x too.
// With xhat = (x - mean) * invStd and N values per channel,
// dgamma = sum(dy*xhat), dbeta = sum(dy) and
// dx = gamma*invStd/N * (N*dy - dbeta - xhat*dgamma).
func (l *batchNorm) backward(x, _, dy, dx []float32, n int) {
	size := n * l.plane
	for c := range l.w.w {
		xs, dys := x[c*size:(c+1)*size], dy[c*size:(c+1)*size]
		mean, inv := l.mean[c], l.invStd[c]
		var sdy, sdyx float64
		for i, d := range dys {
			sdy += float64(d)
			sdyx += float64(d) * float64(xs[i]-mean)
		}
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
			dxs[i] = k * (d - mdy - (xs[i]-mean)*a)
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
			sum += k * float64(s.mean[c])
		}
		mean := sum / count
		var sq float64
		for _, s := range shards {
			d := float64(s.mean[c]) - mean
			sq += float64(s.n*s.plane) * (float64(s.batchVar[c]) + d*d)
		}
		unbiased := sq / max(count-1, 1)
		first.runMean[c] = float32((1-mom)*float64(first.runMean[c]) + mom*mean)
		first.runVar[c] = float32((1-mom)*float64(first.runVar[c]) + mom*unbiased)
	}
}
