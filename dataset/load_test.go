package dataset

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	t.Setenv("GOENV", "off")
	t.Setenv(MNISTEnv, "")
	size := Options{Folder: FolderOptions{Input: rgbInput(1, 8, 8)}}

	mnist := fakeMNIST(t, []byte{3, 1, 4})
	for _, spec := range []string{"mnist:" + mnist, mnist} {
		s, err := Load(spec, true, size)
		require.NoError(t, err, spec)
		assert.Equal(t, "mnist-train", s.Name)
		assert.Equal(t, 32, s.Height)
	}
	s, err := Load("mnist", false, Options{MNISTDir: mnist})
	require.NoError(t, err)
	assert.Equal(t, "mnist-test", s.Name)

	cifar := t.TempDir()
	fakeCIFAR(t, cifar)
	for _, spec := range []string{"cifar10:" + cifar, cifar} {
		s, err := Load(spec, false, size)
		require.NoError(t, err, spec)
		assert.Equal(t, "cifar10-test", s.Name)
	}

	folder := fakeFolder(t)
	s, err = Load(folder, true, size)
	require.NoError(t, err)
	assert.Equal(t, folder, s.Name)
	assert.Equal(t, []int{1, 8, 8}, []int{s.Channels, s.Height, s.Width})

	// A folder with train/ and test/ is split by them.
	split := t.TempDir()
	writeImage(t, filepath.Join(split, "train", "cat", "a.png"), 4, 4, red)
	writeImage(t, filepath.Join(split, "train", "dog", "a.png"), 4, 4, blue)
	writeImage(t, filepath.Join(split, "test", "cat", "a.png"), 4, 4, red)
	s, err = Load(split, true, size)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(split, "train"), s.Name)
	assert.Equal(t, 2, s.Len())
	s, err = Load(split, false, size)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(split, "test"), s.Name)
	assert.Equal(t, 1, s.Len())
}

func TestLoadErrors(t *testing.T) {
	t.Setenv("GOENV", "off")
	empty := t.TempDir()
	t.Setenv(MNISTEnv, empty)

	_, err := Load("", true, Options{})
	assert.EqualError(t, err, "dataset: no dataset given (want mnist, cifar10:DIR or a folder)")
	_, err = Load("mnist", true, Options{})
	assert.ErrorContains(t, err, "MNIST not found (looked in "+empty+")")
	_, err = Load("cifar10", true, Options{})
	assert.EqualError(t, err, "dataset: cifar10 needs its folder: use cifar10:DIR, DIR being the cifar-10-batches-bin folder of "+cifar10URL)
	_, err = Load(filepath.Join(empty, "nope"), true, Options{})
	assert.ErrorContains(t, err, `not mnist, cifar10:DIR or a folder: stat `)
	file := filepath.Join(empty, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = Load(file, true, Options{})
	assert.EqualError(t, err, `dataset "`+file+`": not mnist, cifar10:DIR or a folder`)
	_, err = Load(fakeFolder(t), true, Options{})
	assert.ErrorContains(t, err, "no input contract given")
}
