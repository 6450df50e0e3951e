// Package models holds the trained models that ship inside the edgecnn
// binary, so that it classifies something useful with no file at hand.
package models

import _ "embed"

//go:embed lenet5.safetensors
var lenet5 []byte

// LeNet5 returns the float32 LeNet-5 trained on MNIST by
// `edgecnn train --arch lenet5 --data mnist` with its defaults (see
// BENCHMARKS.md). The bytes must not be modified.
func LeNet5() []byte { return lenet5 }
