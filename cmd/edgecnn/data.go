package main

import (
	"fmt"

	"github.com/edgecnn/edgecnn/dataset"
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

// loadSet reads the training or test split of the dataset named by the
// value of flag (e.g. --data), at the model's input size c x h x w; with
// limit > 0 its first limit images only.
func loadSet(flag, spec, mnistDir string, train bool, c, h, w, limit int) (*dataset.Set, error) {
	s, err := dataset.Load(spec, train, dataset.Options{MNISTDir: mnistDir, Channels: c, Height: h, Width: w, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if limit > 0 && limit < s.Len() {
		s = s.Head(limit)
	}
	return s, nil
}
