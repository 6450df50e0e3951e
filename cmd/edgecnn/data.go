package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/progress"
	"github.com/edgecnn/edgecnn/internal/randmodel"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// loadModel reads the model file at path, or the embedded float32 LeNet-5
// when path is empty. A path that is no file but the name of a built-in
// network (see builtinModel) builds that network. It returns the model and
// a name to show for it.
func loadModel(path string) (*nn.Model, string, error) {
	if path == "" {
		m, err := nn.Decode(models.LeNet5())
		return m, "embedded LeNet-5", err
	}
	m, err := nn.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		if m, name, ok, err := builtinModel(path); ok {
			return m, name, err
		}
		err = fmt.Errorf("%w (nor is it a built-in network: %s)", err, builtinNames)
	}
	return m, path, err
}

// builtinNames describes the names builtinModel takes, for flag help and
// errors.
var builtinNames = strings.Join(randmodel.Names, ", ") + " with random weights, int8 (NAME) or float32 (NAME-f32)"

// builtinModel builds the network name names: one of randmodel.Names with
// random weights, quantized to int8 on a few random images, or float32 when
// the name ends in -f32. ok is false for any other name.
func builtinModel(name string) (m *nn.Model, shown string, ok bool, err error) {
	net, float := strings.CutSuffix(name, "-f32")
	if !slices.Contains(randmodel.Names, net) {
		return nil, "", false, nil
	}
	if float {
		m, err = randmodel.Float(net)
		return m, net + " (random weights, float32)", true, err
	}
	fmt.Fprintf(os.Stderr, "building %s with random weights and quantizing it to int8 on %d random images\n", net, randmodel.CalibImages)
	_, m, err = randmodel.Build(net, nil)
	return m, net + " (random weights, int8)", true, err
}

// loadModelOrInt8 is loadModel with the embedded int8 LeNet-5 as default,
// for the commands that run a model as a Pi would.
func loadModelOrInt8(path string) (*nn.Model, string, error) {
	if path == "" {
		m, err := nn.Decode(models.LeNet5Int8())
		return m, "embedded int8 LeNet-5", err
	}
	return loadModel(path)
}

// dataRequest says how to read a --data (or --calib, --test) value.
type dataRequest struct {
	flag, spec, mnistDir string
	train                bool // the training split
	// input is the contract image folders are read through, labels the
	// classes they are matched to by name (nil: the folder names).
	input   nn.Input
	labels  []string
	threads int
	// limit, if positive, keeps the first limit images only; MNIST then
	// reads no more than those.
	limit int
	// progress receives the loading bar of image folders.
	progress io.Writer
}

// loadSet reads the dataset a request names.
func loadSet(r dataRequest) (*dataset.Set, error) {
	var bar *progress.Bar
	opt := dataset.Options{MNISTDir: r.mnistDir, Limit: r.limit, Folder: dataset.FolderOptions{
		Input: r.input, Labels: r.labels, Threads: r.threads,
		Progress: func(done, total int) {
			if r.progress == nil {
				return
			}
			if bar == nil {
				bar = progress.New(r.progress, "reading "+r.spec+" ("+r.input.Kind()+" preprocessing)", total)
			}
			bar.Update(done, "")
		},
	}}
	s, err := dataset.Load(r.spec, r.train, opt)
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.flag, err)
	}
	if r.limit > 0 && r.limit < s.Len() {
		s = s.Head(r.limit)
	}
	return s, nil
}

// modelData is the request to read data for model m.
func modelData(flag, spec, mnistDir string, train bool, m *nn.Model, threads int, progress io.Writer) dataRequest {
	return dataRequest{flag: flag, spec: spec, mnistDir: mnistDir, train: train, input: m.Input, labels: m.Labels, threads: threads, progress: progress}
}
