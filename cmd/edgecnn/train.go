package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/progress"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/train"
)

func trainCmd() *cobra.Command {
	var (
		arch, data, mnistDir, out, testData, labelsPath, pre, initPath string
		classic, resume, asJSON, qat                                   bool
		channels, testLimit                                            int
		width                                                          float64
		cfg                                                            train.Config
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a float32 model (LeNet-5, AlexNet, ResNet, MobileNet, ...) on a dataset",
		Long: `Train a float32 model. A checkpoint is written to OUT.ckpt after every epoch
and on Ctrl-C; --resume continues from it bit-identically. Per-epoch metrics go
to OUT.csv and the loss/accuracy curves to OUT.png.

--data is "mnist" (found in the Go module cache, --mnist DIR or $EDGECNN_MNIST),
"fashion" (Fashion-MNIST from Debian's dataset-fashion-mnist), a CIFAR-10
binary folder, or an image folder DIR/<label>/*.png|jpg. Images that are not
digits are normalised per channel with the training set's mean and standard
deviation, kept in the model.

Architectures (all 32x32, 1 or 3 channels): lenet5, alexnet, zfnet, vgg11,
resnet20, resnet18, mobilenet and mobilenetv2 (--width scales their channels),
googlenet and densenet. The batch-normalised ones default to SGD (lr 0.1,
momentum 0.9, weight decay 5e-4, cosine) for 20 epochs with batch 128, random
crops and flips; the model written has its batch norms folded into the
convolutions, while OUT.ckpt keeps them for --resume.

--init MODEL starts from a trained float model (its architecture, input and
classes) instead of random weights. With --qat it fine-tunes that model
quantization-aware: batch norms folded, weights fake-quantized per channel and
every int8 activation per tensor with a learned (moving-average) range, exactly
as the int8 engine will compute; by default for 3 epochs at a tenth (adam) or a
hundredth (sgd) of the architecture's learning rate. The test accuracy printed
is the fake-quantized model's, and 'edgecnn convert' of OUT uses the learned
ranges, so the int8 model classifies as it does.

An image folder is read through the preprocessing the model will keep
(its input contract, used again by eval, convert and run): --preprocess digit
is the MNIST-style digit path for photos of handwritten digits, --preprocess
image resizes and centre-crops. By default the folder names and images decide:
digit folders (0..9) of photos larger than the input take the digit path. The
classes are the folder names, sorted, or the order of --labels FILE (one label
per line). The test images are --test DIR, DIR/test (or DIR/val) when DIR has
train/ and test/ subfolders, or else a seeded 10% of each class held out.`,
		Example: `  edgecnn train --arch lenet5 --data mnist --out lenet5.safetensors
  edgecnn train --arch alexnet --data mnist --limit 10000 --epochs 1 --out alexnet.safetensors
  edgecnn train --arch resnet20 --data fashion --out resnet20.safetensors
  edgecnn train --arch mobilenetv2 --width 0.5 --data cifar10:cifar-10-batches-bin --out mnv2.safetensors
  edgecnn train --arch lenet5 --data mydigits/ --out mydigits.safetensors   # photos from 'edgecnn capture'
  edgecnn train --resume --out lenet5.safetensors
  edgecnn train --qat --init mnv2.safetensors --data fashion --out mnv2.qat.safetensors`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out is required")
			}
			flags := cmd.Flags()
			var start *nn.Model
			switch {
			case initPath != "" && resume:
				return usagef("--init and --resume exclude each other: a resumed run continues from OUT.ckpt")
			case initPath != "":
				var err error
				if start, err = nn.Load(initPath); err != nil {
					return fmt.Errorf("--init: %w", err)
				}
				if start.Quantized() {
					return usagef("--init %s is an int8 model; pass the float model it was converted from", initPath)
				}
				if flags.Changed("arch") && arch != start.Arch {
					return usagef("--arch %s, but --init %s is a %s", arch, initPath, start.Arch)
				}
				arch = start.Arch
			case qat:
				return usagef("--qat needs --init FLOAT_MODEL, the trained float model to fine-tune")
			}
			defaults := train.Defaults(arch)
			if qat {
				defaults = train.QATDefaults(arch)
			}
			cfg.QAT = qat
			// Flags left unset take the architecture's defaults.
			for name, apply := range map[string]func(){
				"epochs": func() { cfg.Epochs = defaults.Epochs }, "batch": func() { cfg.BatchSize = defaults.BatchSize },
				"opt": func() { cfg.Optimizer = defaults.Optimizer }, "lr": func() { cfg.LR = defaults.LR },
				"momentum": func() { cfg.Momentum = defaults.Momentum }, "wd": func() { cfg.WeightDecay = defaults.WeightDecay },
				"schedule": func() { cfg.Schedule = defaults.Schedule }, "shift": func() { cfg.Shift = defaults.Shift },
				"threads": func() { cfg.Threads = defaults.Threads }, "flip": func() { cfg.Flip = defaults.Flip },
			} {
				if !flags.Changed(name) {
					apply()
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if testLimit < 0 {
				return usagef("--test-limit must not be negative, got %d", testLimit)
			}
			if pre != "" && pre != "digit" && pre != "image" {
				return usagef("--preprocess %q: want digit or image", pre)
			}
			if channels != 0 && channels != 1 && channels != 3 {
				return usagef("--channels %d: want 1 or 3", channels)
			}
			return runTrain(ctx, cmd, trainJob{arch: arch, data: data, mnistDir: mnistDir, out: out, test: testData,
				labels: labelsPath, preprocess: pre, channels: channels, init: start,
				classic: classic, width: width, resume: resume, asJSON: asJSON, testLimit: testLimit, cfg: cfg, epochsSet: flags.Changed("epochs")})
		},
	}
	f := cmd.Flags()
	f.StringVar(&arch, "arch", "lenet5", "architecture: "+strings.Join(nn.Archs, ", "))
	f.BoolVar(&classic, "classic", false, "LeNet-5 with tanh and average pooling (the 1998 original)")
	f.Float64Var(&width, "width", 1, "mobilenet, mobilenetv2: width multiplier of the channels")
	f.StringVar(&data, "data", "mnist", `training data: "mnist", a CIFAR-10 folder, or DIR/<label>/*.png|jpg`)
	f.StringVar(&mnistDir, "mnist", "", "folder holding the MNIST IDX files (default: the Go module cache)")
	f.StringVar(&out, "out", "", "model file to write (required)")
	f.BoolVar(&resume, "resume", false, "continue from OUT.ckpt")
	f.StringVar(&initPath, "init", "", "start from this trained float model instead of random weights")
	f.BoolVar(&qat, "qat", false, "quantization-aware fine-tuning of the --init model (see above)")
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
	f.IntVar(&testLimit, "test-limit", 0, "evaluate each epoch on N test images picked at random (seeded) only (default: all)")
	f.StringVar(&testData, "test", "", "test data (default: the data's test split, or 10% of an image folder held out)")
	f.StringVar(&labelsPath, "labels", "", "image folders: file with one class label per line, in the model's order")
	f.StringVar(&pre, "preprocess", "", "image folders: digit (MNIST-style digit path) or image (resize and crop); default: what the data implies")
	f.IntVar(&channels, "channels", 0, "image folders, image path: 1 (gray) or 3 (RGB); default: as the images")
	f.BoolVar(&asJSON, "json", false, `print one JSON object per epoch: "epoch", "loss", "train_top1", "test_top1", "seconds", ...`)
	return cmd
}

type trainJob struct {
	arch, data, mnistDir, out          string
	test, labels, preprocess           string
	channels, testLimit                int
	width                              float64
	init                               *nn.Model // --init, or nil
	classic, resume, epochsSet, asJSON bool
	cfg                                train.Config
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
	var in nn.Input
	var labels []string
	switch {
	case t != nil:
		in, labels = t.Model.Input, t.Model.Labels
	case job.init != nil:
		in, labels = job.init.Input, job.init.Labels
	default:
		var err error
		if in, labels, err = trainContract(job, stderr); err != nil {
			return err
		}
	}
	trainSet, testSet, err := trainData(job, in, labels, stderr)
	if err != nil {
		return err
	}
	if job.testLimit > 0 {
		testSet = testSet.Sample(job.testLimit, job.cfg.Seed)
	}
	if t == nil && job.init != nil {
		if t, err = train.New(job.init, job.cfg); err != nil {
			return fmt.Errorf("--init: %w", err)
		}
	}
	if t == nil {
		switch {
		case !dataset.IsFolder(job.data):
			in = storedContract(trainSet, job.preprocess)
		case !in.Digit:
			in.Mean, in.Std = trainSet.ChannelStats()
		}
		if t, err = newTrainer(job, in, trainSet); err != nil {
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
		if job.asJSON {
			reportErr(stderr, writeJSON(stdout, epochLine(e, t.Cfg.Epochs, ckpt)))
		} else {
			fmt.Fprintf(stdout, "epoch %d: loss %.4f  train %.2f%%  test %.2f%%  %.1fs  %.0f img/s\n",
				e.Epoch, e.Loss, 100*e.TrainTop1, 100*e.TestTop1, e.Seconds, e.ImagesPerSec)
		}
		reportErr(stderr, t.SaveCheckpoint(ckpt))
		reportErr(stderr, train.WriteMetricsCSV(trimExt(job.out)+".csv", t.History()))
		reportErr(stderr, train.PlotCurves(trimExt(job.out)+".png", t.History()))
	}
	images := trainSet.Len()
	if t.Cfg.Limit > 0 {
		images = min(images, t.Cfg.Limit)
	}
	mode := ""
	if t.Cfg.QAT {
		mode = " quantization-aware"
	}
	fmt.Fprintf(stderr, "training %s%s on %s (%d images, test %d) for %d epochs, batch %d, %s lr %g, %d threads\n",
		t.Model.Arch, mode, trainSet.Name, images, testSet.Len(), t.Cfg.Epochs, t.Cfg.BatchSize, t.Cfg.Optimizer, t.Cfg.LR, t.Cfg.Threads)
	if err := t.Run(ctx, trainSet, testSet); err != nil {
		if errors.Is(err, context.Canceled) {
			if bar != nil {
				bar.Done()
			}
			if err := t.SaveCheckpoint(ckpt); err != nil {
				return err
			}
			return interruptedError{fmt.Errorf("interrupted: checkpoint saved to %s; continue with --resume", ckpt)}
		}
		return err
	}
	final := t.Model
	if !final.Folded() {
		if final, err = nn.FoldBatchNorm(final); err != nil {
			return err
		}
	}
	if err := nn.Save(job.out, final); err != nil {
		return err
	}
	if job.asJSON {
		stdout = stderr // stdout holds only the epochs' objects
	}
	fmt.Fprintf(stdout, "wrote %s\n", job.out)
	if t.Cfg.QAT {
		fmt.Fprintf(stdout, "its int8 form: edgecnn convert --in %s --calib %s --out %s (with the learned ranges)\n",
			job.out, job.data, trimExt(job.out)+".int8.safetensors")
	}
	return nil
}

func newTrainer(job trainJob, in nn.Input, data *dataset.Set) (*train.Trainer, error) {
	m, err := nn.Build(nn.Arch{Name: job.arch, Input: in, Labels: data.Classes, Classic: job.classic, Width: job.width})
	if err != nil {
		return nil, usagef("--arch: %w", err)
	}
	if err := train.Init(m, job.cfg.Seed); err != nil {
		return nil, err
	}
	return train.New(m, job.cfg)
}

// trainInputSide is the input size of the architectures train builds.
const trainInputSide = 32

// storedContract is the input contract of a model trained on MNIST,
// Fashion-MNIST or CIFAR-10: their images as stored, and for MNIST the
// digit path for camera frames unless --preprocess image says otherwise.
// Images other than digits are normalised per channel with the training
// set's mean and standard deviation, which the model keeps.
func storedContract(s *dataset.Set, pre string) nn.Input {
	in := nn.Input{Channels: s.Channels, Height: s.Height, Width: s.Width,
		Digit: strings.HasPrefix(s.Name, "mnist") && pre != "image"}
	if in.Digit {
		in.Mean, in.Std = make([]float32, in.Channels), make([]float32, in.Channels)
		for c := range in.Std {
			in.Std[c] = 1
		}
		return in
	}
	in.Mean, in.Std = s.ChannelStats()
	return in
}

// trainContract decides the input contract and classes of a new model
// trained on an image folder: what --preprocess and --channels say or the
// data implies. It says what it chose and why. For other data the
// contract follows the data (storedContract).
func trainContract(job trainJob, stderr io.Writer) (nn.Input, []string, error) {
	in := nn.Input{Channels: 1, Height: trainInputSide, Width: trainInputSide, Mean: []float32{0}, Std: []float32{1}}
	var labels []string
	if dataset.IsFolder(job.data) {
		dir := dataset.FolderSplit(job.data, true)
		f, err := dataset.ListFolder(dir)
		if err != nil {
			return in, nil, fmt.Errorf("--data: %w", err)
		}
		labels = f.Classes
		if job.labels != "" {
			if labels, err = readLabels(job.labels); err != nil {
				return in, nil, fmt.Errorf("--labels: %w", err)
			}
			if err := f.Match(labels); err != nil {
				return in, nil, fmt.Errorf("--labels: %w", err)
			}
		}
		first, err := preprocess.ReadFile(f.Files[0])
		if err != nil {
			return in, nil, fmt.Errorf("--data: %w", err)
		}
		hd, err := preprocess.ReadHeader(first)
		if err != nil {
			return in, nil, fmt.Errorf("--data: %s: %w", f.Files[0], err)
		}
		photos := hd.Width > 2*trainInputSide || hd.Height > 2*trainInputSide
		why := ""
		switch job.preprocess {
		case "digit":
			in.Digit, why = true, "--preprocess digit"
		case "image":
			why = "--preprocess image"
		default:
			in.Digit = job.arch == "lenet5" && digitNames(labels) && photos
			if in.Digit {
				why = "the classes are digits and the images photos; --preprocess image to resize them instead"
			} else {
				why = "--preprocess digit for photos of handwritten digits"
			}
		}
		if !in.Digit {
			in.Channels = 3
			if hd.Gray {
				in.Channels = 1
			}
			if job.channels != 0 {
				in.Channels = job.channels
			}
		}
		defer func() { fmt.Fprintf(stderr, "preprocessing: %s (%s)\n", in.Describe(), why) }()
	}
	in.Mean, in.Std = make([]float32, in.Channels), make([]float32, in.Channels)
	for c := range in.Std {
		in.Std[c] = 1
	}
	return in, labels, nil
}

// digitNames reports whether every label is a digit 0..9.
func digitNames(labels []string) bool {
	for _, l := range labels {
		if len(l) != 1 || l[0] < '0' || l[0] > '9' {
			return false
		}
	}
	return len(labels) > 0
}

// trainData reads the training and test sets: image folders through the
// contract in, matched to labels (nil: the folder names); the test set
// from --test, the data's test split, or a seeded 10% held out of an
// image folder without one, which it announces. Images where the digit
// path found no digit are left out of training.
func trainData(job trainJob, in nn.Input, labels []string, stderr io.Writer) (trainSet, testSet *dataset.Set, err error) {
	req := dataRequest{flag: "--data", spec: job.data, mnistDir: job.mnistDir, train: true, input: in, labels: labels,
		threads: job.cfg.Threads, progress: stderr}
	if trainSet, err = loadSet(req); err != nil {
		return nil, nil, err
	}
	switch {
	case job.test != "":
		req.flag, req.spec, req.train, req.labels = "--test", job.test, false, trainSet.Classes
		testSet, err = loadSet(req)
	case dataset.IsFolder(job.data) && !dataset.HasSplit(job.data):
		const holdOut = 0.1
		trainSet, testSet = trainSet.Split(holdOut, job.cfg.Seed)
		fmt.Fprintf(stderr, "%s has no test split: testing on %d images held out at random (10%% of each class, seed %d); --test DIR to choose\n",
			job.data, testSet.Len(), job.cfg.Seed)
	default:
		req.train = false
		testSet, err = loadSet(req)
	}
	if err != nil {
		return nil, nil, err
	}
	if trainSet.Found != nil {
		var keep []int
		for i := range trainSet.Len() {
			if trainSet.HasImage(i) {
				keep = append(keep, i)
			}
		}
		if skipped := trainSet.Len() - len(keep); skipped > 0 {
			fmt.Fprintf(stderr, "no digit found in %d training images: left out\n", skipped)
			name := trainSet.Name
			trainSet = trainSet.Subset(keep)
			trainSet.Name = name
		}
	}
	return trainSet, testSet, nil
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
