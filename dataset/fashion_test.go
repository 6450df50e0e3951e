package dataset

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadFashion(t *testing.T) {
	dir := fakeMNIST(t, []byte{9, 0, 3})
	for _, spec := range []string{"fashion:" + dir} {
		s, err := Load(spec, true, Options{})
		require.NoError(t, err)
		assert.Equal(t, "fashion-train", s.Name)
		assert.Equal(t, FashionClasses, s.Classes)
		assert.Equal(t, []int{9, 0, 3}, s.Labels)
		assert.Equal(t, 32, s.Height)
		te, err := Load(spec, false, Options{Limit: 2})
		require.NoError(t, err)
		assert.Equal(t, "fashion-test", te.Name)
		assert.Equal(t, 2, te.Len())
	}
	assert.False(t, IsFolder("fashion:"+dir))
}

func TestLoadFashionMissingSaysHowToInstall(t *testing.T) {
	fashionDir = t.TempDir()
	defer func() { fashionDir = FashionDir }()
	_, err := Load("fashion", true, Options{})
	require.ErrorContains(t, err, "apt-get install dataset-fashion-mnist")
}

func TestChannelStats(t *testing.T) {
	s := &Set{Channels: 2, Height: 1, Width: 2, Images: []uint8{0, 255, 51, 51, 255, 0, 51, 51}, Labels: []int{0, 0}}
	mean, std := s.ChannelStats()
	assert.InDeltaSlice(t, []float32{0.5, 0.2}, mean, 1e-6)
	assert.InDelta(t, 0.5, std[0], 1e-6)
	assert.Equal(t, float32(1), std[1], "a constant channel is not scaled")
}
