package main

import (
	"fmt"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// loadModel reads the model file at path, or the embedded LeNet-5 when path
// is empty. It returns the model and a name to show for it.
func loadModel(path string) (*nn.Model, string, error) {
	if path == "" {
		m, err := nn.Decode(models.LeNet5())
		return m, "embedded LeNet-5", err
	}
	m, err := nn.Load(path)
	return m, path, err
}

// loadSplits reads the training and test splits of a --data value.
func loadSplits(spec, mnistDir string, c, h, w int) (trainSet, testSet *dataset.Set, err error) {
	opt := dataset.Options{MNISTDir: mnistDir, Channels: c, Height: h, Width: w}
	if trainSet, err = dataset.Load(spec, true, opt); err != nil {
		return nil, nil, dataErr(err)
	}
	if testSet, err = dataset.Load(spec, false, opt); err != nil {
		return nil, nil, dataErr(err)
	}
	return trainSet, testSet, nil
}

// loadTest reads the test split of a --data value.
func loadTest(spec, mnistDir string, c, h, w int) (*dataset.Set, error) {
	s, err := dataset.Load(spec, false, dataset.Options{MNISTDir: mnistDir, Channels: c, Height: h, Width: w})
	return s, dataErr(err)
}

func dataErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("--data: %w", err)
}
