// Package randmodel builds the 32x32 AlexNet with random weights, in float
// and quantized to int8, for the benchmarks, instruction counts and tests
// that need the network's shapes and cost but not its accuracy.
package randmodel

import (
	"fmt"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert"
	"github.com/edgecnn/edgecnn/train"
)

// Digits are the labels of the models: the ten MNIST classes.
var Digits = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// AlexNet returns the single-channel 32x32 AlexNet of nn.Build with the
// weights train.Init draws for seed 1, and that model quantized by
// tools/convert (min/max) on the calibration images calib (1x32x32).
// The same calib gives the same int8 model.
func AlexNet(calib *dataset.Set) (float, quantized *nn.Model, err error) {
	in := nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}}
	float, err = nn.Build(nn.Arch{Name: "alexnet", Input: in, Labels: Digits})
	if err != nil {
		return nil, nil, err
	}
	if err := train.Init(float, 1); err != nil {
		return nil, nil, err
	}
	quantized, _, err = convert.Convert(float, calib, convert.Options{Method: "minmax"})
	if err != nil {
		return nil, nil, fmt.Errorf("quantizing the random AlexNet: %w", err)
	}
	return float, quantized, nil
}
