package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// TestInt8LeNet5 runs the embedded int8 LeNet-5 on real digits: one image
// at a time, in a batch, on one or two threads, the logits are the same
// bits, the model gets them right, and steady-state inference allocates
// nothing.
func TestInt8LeNet5(t *testing.T) {
	m, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	dir, err := dataset.FindMNIST("")
	require.NoError(t, err)
	test, err := dataset.LoadMNIST(dir, false)
	require.NoError(t, err)
	const n = 64
	pixels := test.Images[:n*test.ImageSize()]

	one, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	var alone []float32
	correct := 0
	for s := range n {
		logits, err := one.Infer(test.Image(s), 1)
		require.NoError(t, err)
		alone = append(alone, logits...)
		best := 0
		for c, v := range logits {
			if v > logits[best] {
				best = c
			}
		}
		if best == test.Labels[s] {
			correct++
		}
	}
	require.GreaterOrEqual(t, correct, n-1)

	two, err := engine.New(m, engine.Options{Threads: 2})
	require.NoError(t, err)
	defer two.Close()
	batched, err := two.Infer(pixels, n)
	require.NoError(t, err)
	require.Equal(t, alone, batched)
	single, err := two.Infer(test.Image(0), 1)
	require.NoError(t, err)
	require.Equal(t, alone[:10], single)

	if !engine.RaceEnabled {
		require.Zero(t, testing.AllocsPerRun(10, func() { two.Infer(pixels, n) }))
		require.Zero(t, testing.AllocsPerRun(10, func() { two.Infer(test.Image(0), 1) }))
	}
}
