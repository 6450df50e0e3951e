// Package digitfixture gives the tests of the digit path what they share:
// the MNIST test digits and the committed int8 LeNet-5, each loaded once
// per test binary.
package digitfixture

import (
	"sync"
	"testing"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

var mnistTest = sync.OnceValues(func() (*dataset.Set, error) {
	dir, err := dataset.FindMNIST("")
	if err != nil {
		return nil, err
	}
	return dataset.LoadMNIST(dir, false)
})

// MNISTTest returns the 10,000 MNIST test digits, or skips the test when
// MNIST is not on this machine. Callers must not modify the set.
func MNISTTest(t testing.TB) *dataset.Set {
	t.Helper()
	set, err := mnistTest()
	if err != nil {
		t.Skip(err)
	}
	return set
}

var lenet5Int8 = sync.OnceValues(func() (*nn.Model, error) { return nn.Decode(models.LeNet5Int8()) })

// LeNet5Int8 returns the committed int8 LeNet-5 (models/), decoded once.
// Callers must not modify it.
func LeNet5Int8(t testing.TB) *nn.Model {
	t.Helper()
	m, err := lenet5Int8()
	if err != nil {
		t.Fatalf("the committed int8 LeNet-5: %v", err)
	}
	return m
}
