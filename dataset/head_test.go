package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/memcheck"
)

// idxGzip writes a gzipped IDX file of dims whose data are n zero bytes
// after the header (n may be less than the dims claim), for test files
// that are small on disk but large once decompressed.
func idxGzip(t testing.TB, path string, dims []uint32, n int) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	require.NoError(t, err)
	head := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		head = binary.BigEndian.AppendUint32(head, d)
	}
	zw.Write(head)
	zero := make([]byte, 1<<20)
	for n > 0 {
		k, _ := zw.Write(zero[:min(n, len(zero))])
		n -= k
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// TestLoadMNISTHeadReadsOnlyWhatItReturns: `eval --limit 10` used to read
// and decompress the whole IDX files before taking 10 images. A 78 MB
// test set that gzip squeezes into about 80 KB now costs the 10 images.
func TestLoadMNISTHeadReadsOnlyWhatItReturns(t *testing.T) {
	dir := t.TempDir()
	const n = 100_000
	idxGzip(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), []uint32{n, 28, 28}, n*28*28)
	idxGzip(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), []uint32{n}, n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, err := LoadMNISTHead(dir, false, 10)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Equal(t, 10, s.Len())
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(2<<20), "bytes allocated for 10 images")

	// Fewer images than asked for, and the whole set, still load.
	s, err = LoadMNISTHead(dir, false, 2*n)
	require.NoError(t, err)
	require.Equal(t, n, s.Len())

	// What is read is still checked: entries of the wrong size are refused
	// before any data is read, truncated data is an error.
	idxGzip(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), []uint32{n, 65535, 65535}, 100)
	_, err = LoadMNISTHead(dir, false, 10)
	require.ErrorContains(t, err, "IDX entries are 65535x65535, want 28x28")
	idxGzip(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), []uint32{n, 28, 28}, 9*28*28)
	_, err = LoadMNISTHead(dir, false, 10)
	require.ErrorContains(t, err, "10 entries of 784 values need 7840 (truncated?)")
}

// FuzzIDXHead decodes the start of hostile IDX streams, raw or gzipped:
// never a panic, never more memory than memcheck's bound however much
// the header claims.
func FuzzIDXHead(f *testing.F) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8})
	zw.Close()
	f.Add(b.Bytes(), 1)
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8}, 2)
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3}, 5)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		memcheck.Check(t, len(data), func() {
			for _, inner := range [][]int{nil, {2, 2}} {
				head, err := idxHead("fuzz", bytes.NewReader(data), inner, n)
				if err != nil {
					continue
				}
				idx, err := ReadIDX("fuzz", head, 1+len(inner))
				require.NoError(t, err, "idxHead returns a valid IDX file")
				require.LessOrEqual(t, idx.Dims[0], max(n, 0))
			}
		})
	})
}
