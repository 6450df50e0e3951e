package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/progress"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/train"
)

func trainCmd() *cobra.Command {
	var (
		arch, data, mnistDir, out string
		classic, resume           bool
		cfg                       train.Config
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a float32 model (LeNet-5 or the 32x32 AlexNet) on a dataset",
		Long: `Train a float32 model. A checkpoint is written to OUT.ckpt after every epoch
and on Ctrl-C; --resume continues from it bit-identically. Per-epoch metrics go
to OUT.csv and the loss/accuracy curves to OUT.png.

--data is "mnist" (found in the Go module cache, --mnist DIR or $EDGECNN_MNIST),
a CIFAR-10 binary folder, or an image folder DIR/<label>/*.png|jpg.`,
		Example: `  edgecnn train --arch lenet5 --data mnist --out lenet5.safetensors
  edgecnn train --arch alexnet --data mnist --limit 10000 --epochs 1 --out alexnet.safetensors
  edgecnn train --resume --out lenet5.safetensors`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out is required")
			}
			defaults := train.Defaults(arch)
			// Flags left unset take the architecture's defaults.
			flags := cmd.Flags()
			for name, apply := range map[string]func(){
				"epochs": func() { cfg.Epochs = defaults.Epochs }, "batch": func() { cfg.BatchSize = defaults.BatchSize },
				"opt": func() { cfg.Optimizer = defaults.Optimizer }, "lr": func() { cfg.LR = defaults.LR },
				"momentum": func() { cfg.Momentum = defaults.Momentum }, "wd": func() { cfg.WeightDecay = defaults.WeightDecay },
				"schedule": func() { cfg.Schedule = defaults.Schedule }, "shift": func() { cfg.Shift = defaults.Shift },
				"threads": func() { cfg.Threads = defaults.Threads },
			} {
				if !flags.Changed(name) {
					apply()
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runTrain(ctx, cmd, trainJob{arch: arch, data: data, mnistDir: mnistDir, out: out,
				classic: classic, resume: resume, cfg: cfg, epochsSet: flags.Changed("epochs")})
		},
	}
	f := cmd.Flags()
	f.StringVar(&arch, "arch", "lenet5", "architecture: "+strings.Join(nn.Archs, ", "))
	f.BoolVar(&classic, "classic", false, "LeNet-5 with tanh and average pooling (the 1998 original)")
	f.StringVar(&data, "data", "mnist", `training data: "mnist", a CIFAR-10 folder, or DIR/<label>/*.png|jpg`)
	f.StringVar(&mnistDir, "mnist", "", "folder holding the MNIST IDX files (default: the Go module cache)")
	f.StringVar(&out, "out", "", "model file to write (required)")
	f.BoolVar(&resume, "resume", false, "continue from OUT.ckpt")
	f.IntVar(&cfg.Limit, "limit", 0, "train on N training images picked at random (seeded) only")
	f.IntVar(&cfg.Epochs, "epochs", 0, "epochs (default per architecture: lenet5 10, alexnet 5)")
	f.IntVar(&cfg.BatchSize, "batch", 0, "minibatch size (default per architecture: lenet5 64, alexnet 16)")
	f.StringVar(&cfg.Optimizer, "opt", "", "optimizer: adam or sgd (default adam)")
	f.Float64Var(&cfg.LR, "lr", 0, "initial learning rate (default per architecture: lenet5 0.002, alexnet 0.0005)")
	f.Float64Var(&cfg.Momentum, "momentum", 0, "SGD momentum")
	f.Float64Var(&cfg.WeightDecay, "wd", 0, "weight decay")
	f.StringVar(&cfg.Schedule, "schedule", "", "learning-rate schedule: cosine, step or constant (default cosine)")
	f.IntVar(&cfg.StepEvery, "step-every", 3, "step schedule: epochs between decays")
	f.Float64Var(&cfg.StepGamma, "step-gamma", 0.1, "step schedule: decay factor")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed (same seed and threads give bit-identical weights)")
	f.IntVar(&cfg.Threads, "threads", 0, "worker threads (default: all cores)")
	f.IntVar(&cfg.Shift, "shift", 0, "augmentation: random translation in pixels (default per architecture: lenet5 2, alexnet 1)")
	f.BoolVar(&cfg.Flip, "flip", false, "augmentation: random horizontal flips (natural images only)")
	return cmd
}

type trainJob struct {
	arch, data, mnistDir, out  string
	classic, resume, epochsSet bool
	cfg                        train.Config
}

func runTrain(ctx context.Context, cmd *cobra.Command, job trainJob) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if !job.resume && !slices.Contains(nn.Archs, job.arch) {
		return usagef("--arch: unknown architecture %q (known: %s)", job.arch, strings.Join(nn.Archs, ", "))
	}
	ckpt := job.out + ".ckpt"
	var t *train.Trainer
	if job.resume {
		epochs := 0
		if job.epochsSet {
			epochs = job.cfg.Epochs
		}
		var err error
		if t, err = train.Resume(ckpt, epochs); err != nil {
			return err
		}
		if done := len(t.History()); done >= t.Cfg.Epochs {
			return fmt.Errorf("%s: training already finished all %d epochs; pass --epochs to train further", ckpt, done)
		}
		fmt.Fprintf(stderr, "resuming from %s at epoch %d\n", ckpt, len(t.History())+1)
	}
	in := nn.Input{Channels: 1, Height: 32, Width: 32}
	if t != nil {
		in = t.Model.Input
	}
	trainSet, err := loadSet("--data", job.data, job.mnistDir, true, in.Channels, in.Height, in.Width, 0)
	if err != nil {
		return err
	}
	testSet, err := loadSet("--data", job.data, job.mnistDir, false, in.Channels, in.Height, in.Width, 0)
	if err != nil {
		return err
	}
	if t == nil {
		if t, err = newTrainer(job, trainSet); err != nil {
			return err
		}
	}
	var bar *progress.Bar
	barEpoch := 0
	t.OnBatch = func(p train.Progress) {
		if bar == nil || p.Epoch != barEpoch { // a new epoch, or the first batch after --resume
			bar, barEpoch = progress.New(stderr, fmt.Sprintf("epoch %d/%d", p.Epoch, p.Epochs), p.Batches), p.Epoch
		}
		bar.Update(p.Batch, fmt.Sprintf("loss %.4f", p.Loss))
	}
	t.OnEpoch = func(e train.EpochMetrics) {
		bar.Done()
		fmt.Fprintf(stdout, "epoch %d: loss %.4f  train %.2f%%  test %.2f%%  %.1fs  %.0f img/s\n",
			e.Epoch, e.Loss, 100*e.TrainTop1, 100*e.TestTop1, e.Seconds, e.ImagesPerSec)
		reportErr(stderr, t.SaveCheckpoint(ckpt))
		reportErr(stderr, train.WriteMetricsCSV(trimExt(job.out)+".csv", t.History()))
		reportErr(stderr, train.PlotCurves(trimExt(job.out)+".png", t.History()))
	}
	images := trainSet.Len()
	if t.Cfg.Limit > 0 {
		images = min(images, t.Cfg.Limit)
	}
	fmt.Fprintf(stderr, "training %s on %s (%d images, test %d) for %d epochs, batch %d, %s lr %g, %d threads\n",
		t.Model.Arch, trainSet.Name, images, testSet.Len(), t.Cfg.Epochs, t.Cfg.BatchSize, t.Cfg.Optimizer, t.Cfg.LR, t.Cfg.Threads)
	if err := t.Run(ctx, trainSet, testSet); err != nil {
		if errors.Is(err, context.Canceled) {
			if bar != nil {
				bar.Done()
			}
			if err := t.SaveCheckpoint(ckpt); err != nil {
				return err
			}
			return fmt.Errorf("interrupted: checkpoint saved to %s; continue with --resume", ckpt)
		}
		return err
	}
	if err := nn.Save(job.out, t.Model); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", job.out)
	return nil
}

func newTrainer(job trainJob, data *dataset.Set) (*train.Trainer, error) {
	in := nn.Input{Channels: data.Channels, Height: data.Height, Width: data.Width,
		Mean: make([]float32, data.Channels), Std: make([]float32, data.Channels)}
	for c := range in.Std {
		in.Mean[c], in.Std[c] = 0, 1
	}
	in.Digit = strings.HasPrefix(data.Name, "mnist")
	m, err := nn.Build(nn.Arch{Name: job.arch, Input: in, Labels: data.Classes, Classic: job.classic})
	if err != nil {
		return nil, usagef("--arch: %w", err)
	}
	if err := train.Init(m, job.cfg.Seed); err != nil {
		return nil, err
	}
	return train.New(m, job.cfg)
}

func reportErr(w interface{ Write([]byte) (int, error) }, err error) {
	if err != nil {
		fmt.Fprintln(w, "edgecnn: warning:", err)
	}
}

func trimExt(path string) string {
	if i := strings.LastIndexByte(path, '.'); i > strings.LastIndexByte(path, '/') {
		return path[:i]
	}
	return path
}
