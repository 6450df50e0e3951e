package train

import (
	"math"
	"slices"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
)

// Result is the outcome of classifying a labelled set.
type Result struct {
	Classes   []string
	Confusion [][]int // Confusion[truth][predicted], of the images that held something
	N         int
	Correct   int
	// TopK is EvalOptions.TopK and CorrectK the number of images whose
	// class is among their TopK most likely.
	TopK, CorrectK int
	// NotFound counts the images where the digit path found no digit:
	// they count as wrong and stay out of Confusion.
	NotFound int
	// LossSum is the cross-entropy summed over the images that held
	// something (Loss is its mean).
	LossSum float64
	// Predicted holds every image's predicted class (-1 where nothing was
	// found), when asked for.
	Predicted []int
	// Logits holds every image's logits, N*len(Classes), when asked for.
	Logits []float32
}

// EvalOptions tune EvaluateWith.
type EvalOptions struct {
	// Progress, if set, is called with the number of images done after
	// each batch.
	Progress func(done int)
	// KeepLogits fills Result.Logits, KeepPredictions Result.Predicted.
	KeepLogits, KeepPredictions bool
	// TopK, if above 1, also counts top-k hits (Result.CorrectK).
	TopK int
}

// Top1 is the fraction of images classified correctly.
func (r *Result) Top1() float64 { return float64(r.Correct) / float64(max(r.N, 1)) }

// Loss is the mean cross-entropy of the images that held something, or 0
// when there were none.
func (r *Result) Loss() float64 { return r.LossSum / float64(max(r.N-r.NotFound, 1)) }

// TopKAccuracy is the fraction of images whose class is among their TopK
// most likely.
func (r *Result) TopKAccuracy() float64 { return float64(r.CorrectK) / float64(max(r.N, 1)) }

// ClassTop1 is the fraction of the images of class c classified correctly,
// or -1 when the set has none.
func (r *Result) ClassTop1(c int) float64 {
	total := 0
	for _, k := range r.Confusion[c] {
		total += k
	}
	if total == 0 {
		return -1
	}
	return float64(r.Confusion[c][c]) / float64(total)
}

// evalBatch is the number of images handed to the engine at once.
const evalBatch = 256

// Evaluate classifies every image of s with m on threads workers.
func Evaluate(m *nn.Model, s *dataset.Set, threads int) (*Result, error) {
	e, err := engine.New(m, engine.Options{Threads: threads})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	return EvaluateWith(e, s, EvalOptions{})
}

// EvaluateWith classifies every image of s with e.
func EvaluateWith(e *engine.Engine, s *dataset.Set, opt EvalOptions) (*Result, error) {
	if err := checkFits(e.Model(), s); err != nil {
		return nil, err
	}
	in, classes := e.Model().Input, e.Classes()
	r := &Result{Classes: e.Model().Labels, Confusion: make([][]int, classes), TopK: max(opt.TopK, 1)}
	for c := range r.Confusion {
		r.Confusion[c] = make([]int, classes)
	}
	size := in.Shape().Size()
	probabilities := e.Model().Nodes[len(e.Model().Nodes)-1].Op == nn.OpSoftmax
	for lo := 0; lo < s.Len(); lo += evalBatch {
		hi := min(lo+evalBatch, s.Len())
		logits, err := e.Infer(s.Images[lo*size:hi*size], hi-lo)
		if err != nil {
			return nil, err
		}
		if opt.KeepLogits {
			r.Logits = append(r.Logits, logits...)
		}
		for i := lo; i < hi; i++ {
			l := logits[(i-lo)*classes : (i-lo+1)*classes]
			pred := argmax(l)
			if !s.HasImage(i) {
				pred = -1
				r.NotFound++
			} else {
				r.Confusion[s.Labels[i]][pred]++
				r.LossSum += crossEntropy(l, s.Labels[i], probabilities)
				if pred == s.Labels[i] {
					r.Correct++
				}
				if rank(l, s.Labels[i]) < r.TopK {
					r.CorrectK++
				}
			}
			if opt.KeepPredictions {
				r.Predicted = append(r.Predicted, pred)
			}
		}
		r.N = hi
		if opt.Progress != nil {
			opt.Progress(hi)
		}
	}
	return r, nil
}

// crossEntropy is -log p(label) for one image's logits, or for its
// probabilities when the model ends in softmax.
func crossEntropy(out []float32, label int, probabilities bool) float64 {
	if probabilities {
		return -math.Log(max(float64(out[label]), 1e-30))
	}
	hi := float64(slices.Max(out))
	var sum float64
	for _, v := range out {
		sum += math.Exp(float64(v) - hi)
	}
	return hi + math.Log(sum) - float64(out[label])
}

// rank is the number of classes scored above class c (ties to the lower
// index, as argmax breaks them).
func rank(logits []float32, c int) int {
	n := 0
	for i, v := range logits {
		if v > logits[c] || (v == logits[c] && i < c) {
			n++
		}
	}
	return n
}
