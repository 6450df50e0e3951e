package camera_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
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

// testSet returns the MNIST test digits, or skips.
func testSet(t testing.TB) *dataset.Set {
	set, err := mnistTest()
	if err != nil {
		t.Skip(err)
	}
	return set
}

func int8Engine(t testing.TB) (*nn.Model, *engine.Engine) {
	m, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	e, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	return m, e
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
