package main

import (
	"fmt"
	"io"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/progress"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// loadModel reads the model file at path, or the embedded float32 LeNet-5
// when path is empty. It returns the model and a name to show for it.
func loadModel(path string) (*nn.Model, string, error) {
	if path == "" {
		m, err := nn.Decode(models.LeNet5())
		return m, "embedded LeNet-5", err
	}
	m, err := nn.Load(path)
	return m, path, err
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
	// progress receives the loading bar of image folders.
	progress io.Writer
}

// loadSet reads the dataset a request names.
func loadSet(r dataRequest) (*dataset.Set, error) {
	var bar *progress.Bar
	opt := dataset.Options{MNISTDir: r.mnistDir, Folder: dataset.FolderOptions{
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
	return s, nil
}

// modelData is the request to read data for model m.
func modelData(flag, spec, mnistDir string, train bool, m *nn.Model, threads int, progress io.Writer) dataRequest {
	return dataRequest{flag: flag, spec: spec, mnistDir: mnistDir, train: train, input: m.Input, labels: m.Labels, threads: threads, progress: progress}
}
