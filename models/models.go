// Package models holds the trained models that ship inside the edgecnn
// binary, so that it classifies something useful with no file at hand.
// The bytes must not be modified: decoded models share them.
package models

import _ "embed"

var (
	//go:embed lenet5.safetensors
	lenet5 []byte
	//go:embed lenet5.int8.safetensors
	lenet5Int8 []byte
)

// LeNet5 returns the float32 LeNet-5 trained, with the defaults of
// `edgecnn train --arch lenet5`, on the MNIST training digits plus one
// copy of each redrawn as the digit path sees handwriting on paper
// (tools/digitset):
//
//	go run ./tools/digitset -out /tmp/digits -copies 1 -seed 1
//	edgecnn train --arch lenet5 --data mnist --mnist /tmp/digits --out lenet5.safetensors
//
// It reads photos through the digit path better than a model of MNIST
// alone; MNIST's test set is unchanged (99.43%).
func LeNet5() []byte { return lenet5 }

// LeNet5Int8 returns LeNet5 quantized to int8 by `edgecnn convert --calib
// mnist --int8-logits` with its other defaults (min/max calibration on 1000
// training images): its logits are int8, as before convert wrote float32
// logits by default.
func LeNet5Int8() []byte { return lenet5Int8 }
