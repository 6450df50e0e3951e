package dataset

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/safefile/safefiletest"
	"github.com/edgecnn/edgecnn/nn"
)

// grayInput is the input contract of a gray size x size model.
func grayInput(size int) nn.Input {
	return nn.Input{Channels: 1, Height: size, Width: size, Mean: []float32{0}, Std: []float32{1}}
}

// TestLoadersSkipSpecialFiles: a FIFO or a link to /dev/zero named like an
// image inside a dataset folder, or like an MNIST file, used to hang the
// loader or be read until memory ran out. Folders keep only regular
// images; MNIST and CIFAR-10 refuse such files.
func TestLoadersSkipSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	for _, class := range []string{"cat", "dog"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, class), 0o755))
		f, err := os.Create(filepath.Join(dir, class, "ok.png"))
		require.NoError(t, err)
		require.NoError(t, png.Encode(f, image.NewGray(image.Rect(0, 0, 4, 4))))
		require.NoError(t, f.Close())
		safefiletest.Special(t, filepath.Join(dir, class, "fifo.png"), filepath.Join(dir, class, "zero.jpg"))
	}
	safefiletest.Within(t, 5*time.Second, func() {
		s, err := LoadFolder(dir, FolderOptions{Input: grayInput(4)})
		require.NoError(t, err)
		require.Equal(t, 2, s.Len())
	})

	mnist := t.TempDir()
	safefiletest.Special(t, filepath.Join(mnist, "t10k-images-idx3-ubyte"), filepath.Join(mnist, "t10k-labels-idx1-ubyte"))
	safefiletest.Within(t, 5*time.Second, func() {
		_, err := LoadMNIST(mnist, false)
		require.ErrorContains(t, err, "no MNIST file")
	})

	cifar := t.TempDir()
	safefiletest.Special(t, filepath.Join(cifar, "test_batch.bin"), filepath.Join(cifar, "batches.meta.txt"))
	safefiletest.Within(t, 5*time.Second, func() {
		_, err := LoadCIFAR10(cifar, false)
		require.Error(t, err)
	})
}
