package camera_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/digitfixture"
	"github.com/edgecnn/edgecnn/nn"
)

// int8Engine returns the committed int8 LeNet-5 and a one-thread engine
// running it.
func int8Engine(t testing.TB) (*nn.Model, *engine.Engine) {
	m := digitfixture.LeNet5Int8(t)
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
