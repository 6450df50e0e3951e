package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cifarPixel is the synthetic value of pixel p of record r of batch b.
func cifarPixel(b, r, p int) byte { return byte(b*31 + r*7 + p) }

// writeCIFARBatch writes a batch file with one record per label.
func writeCIFARBatch(t *testing.T, path string, batch int, labels []byte) {
	t.Helper()
	var data []byte
	for r, l := range labels {
		data = append(data, l)
		for p := range cifarPixels {
			data = append(data, cifarPixel(batch, r, p))
		}
	}
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// fakeCIFAR writes the six batch files: batch k (1..5) holds k records with
// labels k-1, k, ...; the test batch (0) holds 3.
func fakeCIFAR(t *testing.T, dir string) {
	t.Helper()
	for k := 1; k <= 5; k++ {
		labels := make([]byte, k)
		for r := range labels {
			labels[r] = byte(k - 1 + r)
		}
		writeCIFARBatch(t, filepath.Join(dir, "data_batch_"+string(rune('0'+k))+".bin"), k, labels)
	}
	writeCIFARBatch(t, filepath.Join(dir, "test_batch.bin"), 0, []byte{9, 0, 5})
}

func TestLoadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	fakeCIFAR(t, dir)

	train, err := LoadCIFAR10(dir, true)
	require.NoError(t, err)
	assert.Equal(t, "cifar10-train", train.Name)
	assert.Equal(t, []int{3, 32, 32}, []int{train.Channels, train.Height, train.Width})
	require.Equal(t, 1+2+3+4+5, train.Len())
	assert.Equal(t, []int{0, 1, 2, 2, 3, 4, 3, 4, 5, 6, 4, 5, 6, 7, 8}, train.Labels)
	assert.Equal(t, cifar10Classes, train.Classes)
	i := 0
	for k := 1; k <= 5; k++ {
		for r := range k {
			img := train.Image(i)
			for _, p := range []int{0, 1023, 1024, 2048, 3071} {
				require.Equal(t, cifarPixel(k, r, p), img[p], "batch %d record %d pixel %d", k, r, p)
			}
			i++
		}
	}

	test, err := LoadCIFAR10(dir, false)
	require.NoError(t, err)
	assert.Equal(t, "cifar10-test", test.Name)
	assert.Equal(t, []int{9, 0, 5}, test.Labels)
	assert.Equal(t, cifarPixel(0, 2, 100), test.Image(2)[100])

	// Class names from batches.meta.txt, which ends in blank lines.
	names := "plane\ncar\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte(names), 0o644))
	test, err = LoadCIFAR10(dir, false)
	require.NoError(t, err)
	assert.Equal(t, strings.Fields(names), test.Classes)

	// The folder holding cifar-10-batches-bin works too.
	parent := t.TempDir()
	sub := filepath.Join(parent, "cifar-10-batches-bin")
	require.NoError(t, os.Mkdir(sub, 0o755))
	fakeCIFAR(t, sub)
	test, err = LoadCIFAR10(parent, false)
	require.NoError(t, err)
	assert.Equal(t, 3, test.Len())
}

func TestLoadCIFAR10Errors(t *testing.T) {
	t.Run("partial record", func(t *testing.T) {
		dir := t.TempDir()
		fakeCIFAR(t, dir)
		path := filepath.Join(dir, "test_batch.bin")
		require.NoError(t, os.WriteFile(path, make([]byte, 2*cifarRecord+5), 0o644))
		_, err := LoadCIFAR10(dir, false)
		assert.EqualError(t, err, path+": 6151 bytes, not a whole number of 3073-byte CIFAR-10 records")
	})
	t.Run("empty batch", func(t *testing.T) {
		dir := t.TempDir()
		fakeCIFAR(t, dir)
		path := filepath.Join(dir, "data_batch_4.bin")
		require.NoError(t, os.WriteFile(path, nil, 0o644))
		_, err := LoadCIFAR10(dir, true)
		assert.EqualError(t, err, path+": 0 bytes, not a whole number of 3073-byte CIFAR-10 records")
	})
	t.Run("label out of range", func(t *testing.T) {
		dir := t.TempDir()
		fakeCIFAR(t, dir)
		path := filepath.Join(dir, "data_batch_3.bin")
		writeCIFARBatch(t, path, 3, []byte{1, 10})
		_, err := LoadCIFAR10(dir, true)
		assert.EqualError(t, err, path+": record 1 has label 10, want 0..9")
	})
	t.Run("missing batch", func(t *testing.T) {
		dir := t.TempDir()
		fakeCIFAR(t, dir)
		path := filepath.Join(dir, "data_batch_5.bin")
		require.NoError(t, os.Remove(path))
		_, err := LoadCIFAR10(dir, true)
		assert.EqualError(t, err, path+": no such CIFAR-10 batch file (want the cifar-10-batches-bin folder of "+cifar10URL+")")
	})
	t.Run("bad meta", func(t *testing.T) {
		dir := t.TempDir()
		fakeCIFAR(t, dir)
		path := filepath.Join(dir, "batches.meta.txt")
		require.NoError(t, os.WriteFile(path, []byte("cat\ndog\n"), 0o644))
		_, err := LoadCIFAR10(dir, false)
		assert.EqualError(t, err, path+": 2 class names, want 10")
	})
}
