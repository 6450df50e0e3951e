package photos

import (
	"bytes"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
)

func mnist(t testing.TB) *dataset.Set {
	dir, err := dataset.FindMNIST("")
	if err != nil {
		t.Skip(err)
	}
	set, err := dataset.LoadMNIST(dir, false)
	require.NoError(t, err)
	return set.Head(200)
}

func TestRenderIsDeterministicAndValid(t *testing.T) {
	set := mnist(t)
	opt := Options{Seed: 7}
	for i := range 6 {
		a, err := Render(set, i, opt)
		require.NoError(t, err)
		b, err := Render(set, i, opt)
		require.NoError(t, err)
		require.Equal(t, a, b, "photo %d differs between runs", i)
		img, err := jpeg.Decode(bytes.NewReader(a.JPEG))
		require.NoError(t, err)
		require.Equal(t, 640, img.Bounds().Dx())
		require.Equal(t, 480, img.Bounds().Dy())
		require.Equal(t, set.Labels[a.Index], a.Label)
		h := a.Box.Dy()
		require.True(t, h >= 55 && h <= 250, "digit height %d", h)
	}
	other, err := Render(set, 0, Options{Seed: 8})
	require.NoError(t, err)
	first, _ := Render(set, 0, opt)
	require.NotEqual(t, first.JPEG, other.JPEG, "the seed changes the photos")
}

func BenchmarkRender(b *testing.B) {
	set := mnist(b)
	i := 0
	for b.Loop() {
		if _, err := Render(set, i, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
