// Package train fits the float32 parameters of an nn.Model to a labelled
// dataset: forward and backward passes of every layer type, softmax
// cross-entropy, SGD with momentum or Adam, learning-rate schedules,
// checkpoints that survive Ctrl-C, and per-epoch metrics.
//
// Training is data-parallel: each minibatch is cut into one contiguous shard
// per worker, every worker computes its shard's gradients on its own
// replica, and the gradients are summed in worker order. With the same seed
// and thread count the weights are therefore bit-identical from run to run.
package train

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
)

// Config holds the hyper-parameters of a run.
type Config struct {
	Epochs      int
	BatchSize   int
	Optimizer   string  // "sgd" or "adam"
	LR          float64 // initial learning rate
	Momentum    float64 // sgd only
	WeightDecay float64 // L2 for sgd, decoupled for adam; biases never decay
	Schedule    string  // "constant", "step" or "cosine"
	StepEvery   int     // step schedule: epochs between decays
	StepGamma   float64 // step schedule: decay factor
	Seed        uint64
	Threads     int
	Shift       int  // augmentation: random translation of up to Shift pixels
	Flip        bool // augmentation: random horizontal flip (natural images only)
	// Limit, if positive, trains on a seeded random sample of that many
	// training images instead of all of them.
	Limit int
	// QAT trains quantization-aware (see qat.go): the model's batch norms
	// are folded, weights and activations are fake-quantized as the int8
	// model will hold them, and every int8 tensor's range is learned.
	QAT bool
}

// Defaults returns the configuration `edgecnn train` uses for an
// architecture when no flags are given. AlexNet, deep and without batch
// normalisation, barely moves with SGD at these epoch counts; Adam with a
// small rate and small batches trains it reliably.
func Defaults(arch string) Config {
	cfg := Config{Epochs: 10, BatchSize: 64, Optimizer: "adam", LR: 2e-3, Schedule: "cosine",
		Seed: 1, Threads: runtime.NumCPU(), Shift: 2}
	switch arch {
	case "alexnet", "zfnet":
		cfg.Epochs, cfg.BatchSize, cfg.LR, cfg.Shift = 5, 16, 5e-4, 1
	case "vgg11", "resnet20", "resnet18", "mobilenet", "mobilenetv2", "googlenet", "densenet":
		// The batch-normalised networks: the CIFAR recipe of their papers
		// (SGD with Nesterov-free momentum 0.9, weight decay 5e-4, a
		// cosine schedule), shortened to 20 epochs, with random crops
		// (2 pixels of padding) and flips.
		cfg = Config{Epochs: 20, BatchSize: 128, Optimizer: "sgd", LR: 0.1, Momentum: 0.9, WeightDecay: 5e-4,
			Schedule: "cosine", Seed: 1, Threads: runtime.NumCPU(), Shift: 2, Flip: true}
	}
	return cfg
}

// QATDefaults returns the configuration `edgecnn train --qat` uses to
// fine-tune a trained float model of architecture arch: its defaults with
// a tenth (Adam) or a hundredth (SGD) of the learning rate, for 3 epochs.
func QATDefaults(arch string) Config {
	cfg := Defaults(arch)
	cfg.QAT, cfg.Epochs = true, 3
	if cfg.Optimizer == "sgd" {
		cfg.LR /= 100
	} else {
		cfg.LR /= 10
	}
	return cfg
}

func (c Config) validate() error {
	switch {
	case c.Epochs <= 0:
		return fmt.Errorf("epochs must be positive, got %d", c.Epochs)
	case c.BatchSize <= 0:
		return fmt.Errorf("batch size must be positive, got %d", c.BatchSize)
	case !(c.LR > 0):
		return fmt.Errorf("learning rate must be positive, got %v", c.LR)
	case c.Threads <= 0 || c.Threads > engine.MaxThreads:
		return fmt.Errorf("threads must be 1 to %d, got %d", engine.MaxThreads, c.Threads)
	case c.Shift < 0:
		return fmt.Errorf("shift must not be negative, got %d", c.Shift)
	case c.Limit < 0:
		return fmt.Errorf("limit must not be negative, got %d", c.Limit)
	case c.Schedule != "constant" && c.Schedule != "step" && c.Schedule != "cosine":
		return fmt.Errorf("unknown schedule %q (want constant, step or cosine)", c.Schedule)
	case c.Schedule == "step" && !(c.StepGamma > 0):
		return fmt.Errorf("step schedule needs a positive gamma, got %v", c.StepGamma)
	}
	return nil
}

// EpochMetrics is one row of the metrics CSV.
type EpochMetrics struct {
	Epoch        int     // 1-based
	Loss         float64 // mean training loss
	TrainTop1    float64 // fraction correct on the (augmented) training batches
	TestTop1     float64 // fraction correct on the test set; -1 when there is none
	TestLoss     float64 // mean cross-entropy on the test set; -1 when there is none
	Seconds      float64 // wall time of the epoch's training steps
	ImagesPerSec float64
	LR           float64 // learning rate at the end of the epoch
}

// Progress is reported after every batch.
type Progress struct {
	Epoch, Epochs  int // Epoch is 1-based
	Batch, Batches int // Batch is 1-based
	Loss           float64
}

// Trainer trains one model. It is not safe for concurrent use.
type Trainer struct {
	Model *nn.Model
	Cfg   Config

	// OnBatch and OnEpoch, when set, are called after every batch and epoch.
	OnBatch func(Progress)
	OnEpoch func(EpochMetrics)

	replicas []*replica
	// params are the parameters the optimizer steps, in paramNames order:
	// those the replicas read, but for the float weights behind the
	// fake-quantized ones of quantization-aware training.
	params  []*param
	qat     *qatWeights // nil unless Cfg.QAT
	opt     optimizer
	pos     position
	history []EpochMetrics
}

// position is where training stands: the next batch to run, the optimizer
// steps taken, and the running sums of the epoch in progress.
type position struct {
	Epoch, Batch int
	Steps        int
	LossSum      float64
	Correct      int
	Seen         int
	Seconds      float64
}

// New prepares a trainer for m, whose parameters must already be set (see
// Init for fresh ones). For quantization-aware training (cfg.QAT) the
// trainer's Model is m with its batch norms folded (nn.FoldBatchNorm).
func New(m *nn.Model, cfg Config) (*Trainer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if cfg.QAT && !m.Folded() {
		var err error
		if m, err = nn.FoldBatchNorm(m); err != nil {
			return nil, err
		}
	}
	if last := m.Nodes[len(m.Nodes)-1]; last.Op == nn.OpSoftmax {
		return nil, fmt.Errorf("layer %q: the last layer must give logits; the loss applies softmax itself", last.Name)
	}
	t := &Trainer{Model: m, Cfg: cfg}
	if cfg.QAT {
		t.qat = newQATWeights(m)
	}
	shard := (cfg.BatchSize + cfg.Threads - 1) / cfg.Threads
	for range cfg.Threads {
		r, err := newReplica(m, shard, t.qat)
		if err != nil {
			return nil, err
		}
		t.replicas = append(t.replicas, r)
	}
	for _, p := range t.replicas[0].params {
		if t.qat != nil && t.qat.fake[p.name] != nil {
			p = &param{name: p.name, w: m.Params[p.name].F32, grad: p.grad}
		}
		t.params = append(t.params, p)
	}
	var err error
	t.opt, err = newOptimizer(cfg, t.params)
	return t, err
}

// History returns the metrics of the finished epochs.
func (t *Trainer) History() []EpochMetrics { return t.history }

// Run trains until cfg.Epochs are done or ctx is cancelled. After a cancel
// it returns ctx.Err() with the position kept, so a checkpoint saved then
// resumes exactly where training stopped. test may be nil.
func (t *Trainer) Run(ctx context.Context, train, test *dataset.Set) error {
	if err := t.checkData(train); err != nil {
		return err
	}
	if t.Cfg.Limit > 0 && t.Cfg.Limit < train.Len() {
		train = train.Sample(t.Cfg.Limit, t.Cfg.Seed)
	}
	if test != nil {
		if err := t.checkData(test); err != nil {
			return err
		}
	}
	batches := (train.Len() + t.Cfg.BatchSize - 1) / t.Cfg.BatchSize
	for t.pos.Epoch < t.Cfg.Epochs {
		order := dataset.Shuffle(train.Len(), rand.New(rand.NewPCG(t.Cfg.Seed, uint64(t.pos.Epoch)+1<<32)))
		for t.pos.Batch < batches {
			if err := ctx.Err(); err != nil {
				return err
			}
			start := time.Now()
			lo := t.pos.Batch * t.Cfg.BatchSize
			idx := order[lo:min(lo+t.Cfg.BatchSize, len(order))]
			lr := learningRate(t.Cfg, t.pos.Epoch, t.pos.Batch, batches)
			loss, correct := t.step(train, idx, lr)
			t.pos.Batch++
			t.pos.Steps++
			t.pos.LossSum += loss
			t.pos.Correct += correct
			t.pos.Seen += len(idx)
			t.pos.Seconds += time.Since(start).Seconds()
			if t.OnBatch != nil {
				t.OnBatch(Progress{Epoch: t.pos.Epoch + 1, Epochs: t.Cfg.Epochs, Batch: t.pos.Batch, Batches: batches, Loss: loss / float64(len(idx))})
			}
		}
		em := EpochMetrics{Epoch: t.pos.Epoch + 1, Loss: t.pos.LossSum / float64(t.pos.Seen),
			TrainTop1: float64(t.pos.Correct) / float64(t.pos.Seen), TestTop1: -1, TestLoss: -1, Seconds: t.pos.Seconds,
			ImagesPerSec: float64(t.pos.Seen) / t.pos.Seconds, LR: learningRate(t.Cfg, t.pos.Epoch, batches, batches)}
		if test != nil {
			res, err := t.Evaluate(test)
			if err != nil {
				return err
			}
			em.TestTop1, em.TestLoss = res.Top1(), res.Loss()
		}
		t.history = append(t.history, em)
		t.pos = position{Epoch: t.pos.Epoch + 1, Steps: t.pos.Steps}
		if t.OnEpoch != nil {
			t.OnEpoch(em)
		}
	}
	return nil
}

func (t *Trainer) checkData(s *dataset.Set) error {
	if err := checkFits(t.Model, s); err != nil {
		return err
	}
	if s.Len() == 0 {
		return errors.New(s.Name + ": no images")
	}
	return nil
}

// checkFits reports a set whose images or classes do not match model m.
func checkFits(m *nn.Model, s *dataset.Set) error {
	in := m.Input
	if s.Channels != in.Channels || s.Height != in.Height || s.Width != in.Width {
		return fmt.Errorf("%s: images are %dx%dx%d, the model takes %v", s.Name, s.Channels, s.Height, s.Width, in.Shape())
	}
	if len(s.Classes) != len(m.Labels) {
		return fmt.Errorf("%s: %d classes, the model predicts %d", s.Name, len(s.Classes), len(m.Labels))
	}
	return nil
}

// step trains on the images idx: every worker runs its shard forward and
// backward, then the workers sum the gradients in worker order and step the
// optimizer, each over its own part of the parameters. It returns the
// summed loss and correct count.
func (t *Trainer) step(s *dataset.Set, idx []int, lr float64) (float64, int) {
	shard := t.replicas[0].batch
	busy := (len(idx) + shard - 1) / shard // the replicas with samples
	var wg sync.WaitGroup
	for w, r := range t.replicas[:busy] {
		r.noise.Seed(t.Cfg.Seed, uint64(t.pos.Steps)<<16|uint64(w))
		wg.Go(func() {
			r.loss, r.correct = t.shardStep(r, s, idx[w*shard:min((w+1)*shard, len(idx))], len(idx))
		})
	}
	wg.Wait()
	for i := range t.replicas[0].norms {
		shards := make([]*batchNorm, busy)
		for w, r := range t.replicas[:busy] {
			shards[w] = r.norms[i]
		}
		mergeStats(shards)
	}
	if t.qat != nil {
		mergeRanges(t.replicas[:busy])
	}
	t.opt.begin()
	total := 0
	for _, p := range t.params {
		total += len(p.w)
	}
	parts := len(t.replicas)
	for w, r := range t.replicas {
		wg.Go(func() { t.update(total*w/parts, total*(w+1)/parts, busy, r.sum, float32(lr)) })
	}
	wg.Wait()
	if t.qat != nil {
		t.qat.refresh(t.Model)
	}
	loss, correct := 0.0, 0
	for _, r := range t.replicas[:busy] {
		loss += r.loss
		correct += r.correct
	}
	return loss, correct
}

// updateBlock is how many elements update sums before it steps them: the
// sums stay in L1 for the step.
const updateBlock = 2048

// update sums the gradients of the first busy replicas, in replica order,
// into sum (updateBlock floats) and steps the optimizer, for elements lo ...
// hi-1 of the parameters counted one after another in paramNames order.
func (t *Trainer) update(lo, hi, busy int, sum []float32, lr float32) {
	off := 0
	for i, p := range t.params {
		a, b := max(lo-off, 0), min(hi-off, len(p.w))
		off += len(p.w)
		for ; a < b; a += updateBlock {
			e := min(a+updateBlock, b)
			g := p.grad[a:e]
			if busy > 1 {
				g = sum[:e-a]
				copy(g, p.grad[a:e])
				for _, r := range t.replicas[1:busy] {
					for j, v := range r.params[i].grad[a:e] {
						g[j] += v
					}
				}
			}
			t.opt.update(i, p, a, e, g, lr)
		}
	}
}

// shardStep loads, augments and normalises the shard's images, then runs the
// forward and backward pass on replica r.
func (t *Trainer) shardStep(r *replica, s *dataset.Set, idx []int, batch int) (float64, int) {
	in := t.Model.Input
	r.labels = r.labels[:0]
	for k, i := range idx {
		img := s.Image(i)
		if t.Cfg.Shift > 0 || t.Cfg.Flip {
			// The augmentation of an image depends only on the seed, the
			// epoch and the image, never on which worker draws it.
			r.augSrc.Seed(t.Cfg.Seed^uint64(t.pos.Epoch)<<40, uint64(i))
			dataset.Augment(r.pixels, img, in.Channels, in.Height, in.Width, dataset.Augmentation{Shift: t.Cfg.Shift, Flip: t.Cfg.Flip}, r.aug)
			img = r.pixels
		}
		r.setInput(in, img, k, len(idx))
		r.labels = append(r.labels, s.Labels[i])
	}
	if r.qat != nil {
		r.qat.quantizeInput(r, len(idx))
	}
	r.forward(len(idx), true)
	loss, correct := r.lossAndGrad(r.labels, batch)
	r.backward(len(idx))
	return loss, correct
}
