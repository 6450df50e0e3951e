package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idxBytes builds an IDX file: magic 00 00 typ len(dims), the dims, the data.
func idxBytes(typ byte, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestReadIDX(t *testing.T) {
	labels := idxBytes(8, []uint32{3}, []byte{5, 0, 4})
	idx, err := ReadIDX("labels", labels, 1)
	require.NoError(t, err)
	assert.Equal(t, []int{3}, idx.Dims)
	assert.Equal(t, []uint8{5, 0, 4}, idx.Data)
	assert.Same(t, &labels[8], &idx.Data[0], "raw data is not copied")

	images := idxBytes(8, []uint32{2, 1, 3}, []byte{1, 2, 3, 4, 5, 6})
	for _, data := range [][]byte{images, gz(t, images)} {
		idx, err := ReadIDX("images", data, 3)
		require.NoError(t, err)
		assert.Equal(t, []int{2, 1, 3}, idx.Dims)
		assert.Equal(t, []uint8{1, 2, 3, 4, 5, 6}, idx.Data)
	}

	idx, err = ReadIDX("any", images, 0)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 1, 3}, idx.Dims)

	idx, err = ReadIDX("empty", idxBytes(8, []uint32{4, 0, 1000000}, nil), 3)
	require.NoError(t, err)
	assert.Empty(t, idx.Data)

	// An empty file may still claim a dimension that no 32-bit int holds:
	// there it is an error, not a negative dimension.
	idx, err = ReadIDX("huge", idxBytes(8, []uint32{0, math.MaxUint32}, nil), 2)
	if strconv.IntSize == 32 {
		require.EqualError(t, err, "huge: IDX header claims 0x4294967295 values, more than the 0 data bytes in the file")
	} else {
		require.NoError(t, err)
		assert.Equal(t, []uint64{0, math.MaxUint32}, []uint64{uint64(idx.Dims[0]), uint64(idx.Dims[1])})
	}
}

func TestReadIDXErrors(t *testing.T) {
	const name = "t10k-images-idx3-ubyte.gz"
	huge := []uint32{0xffffffff, 0xffffffff, 0xffffffff}
	big := []uint32{60000, 28, 28}
	valid := idxBytes(8, []uint32{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	corrupt := gz(t, valid)
	corrupt = corrupt[:len(corrupt)-9] // cut into the deflate stream and trailer
	badSum := gz(t, valid)
	badSum[len(badSum)-8] ^= 0xff // the CRC-32 in the trailer

	tests := []struct {
		what  string
		data  []byte
		ndims int
		want  string
	}{
		{"labels file where images are expected", idxBytes(8, []uint32{3}, []byte{1, 2, 3}), 3,
			"IDX magic 0x00000801, want 0x00000803"},
		{"images file where labels are expected", valid, 1,
			"IDX magic 0x00000803, want 0x00000801"},
		{"float elements", idxBytes(0x0d, []uint32{1, 1, 1}, make([]byte, 4)), 3,
			"IDX magic 0x00000d03, want 0x00000803 (element type 0x0d; only unsigned bytes, 0x08, are read)"},
		{"not IDX", []byte("PK\x03\x04 a zip file"), 3,
			"IDX magic 0x504b0304, want 0x00000803 (not an IDX file)"},
		{"no dimensions", []byte{0, 0, 8, 0}, 0,
			"IDX magic 0x00000800, want 0x000008NN (no dimensions)"},
		{"too short", []byte{0, 0}, 3,
			"2 bytes, too short for an IDX header"},
		{"short header", []byte{0, 0, 8, 3, 0, 0, 0, 1}, 3,
			"IDX header of 3 dimensions needs 16 bytes, file has 8"},
		{"huge dimensions", idxBytes(8, huge, make([]byte, 10)), 3,
			"IDX header claims 4294967295x4294967295x4294967295 values, more than the 10 data bytes in the file"},
		{"truncated data", valid[:len(valid)-1], 3,
			"IDX header claims 2x2x2 = 8 values, file holds only 7 (truncated?)"},
		{"surplus data", append(valid[:len(valid):len(valid)], 9), 3,
			"IDX header claims 2x2x2 = 8 values, file holds 9"},
		{"gzip: labels file where images are expected", gz(t, idxBytes(8, []uint32{3}, []byte{1, 2, 3})), 3,
			"IDX magic 0x00000801, want 0x00000803"},
		{"gzip: too short", gz(t, []byte{0, 0}), 3,
			"gzip stream holds 2 bytes, too short for an IDX header"},
		{"gzip: short header", gz(t, []byte{0, 0, 8, 3, 0, 0}), 3,
			"gzip stream holds 6 bytes, too short for an IDX header of 3 dimensions (16 bytes)"},
		{"gzip: claims more than gzip can hold", gz(t, idxBytes(8, big, nil)), 3,
			"IDX header claims 60000x28x28 values, more than a {len}-byte gzip file can hold"},
		{"gzip: huge dimensions", gz(t, idxBytes(8, huge, nil)), 3,
			"IDX header claims 4294967295x4294967295x4294967295 values, more than a {len}-byte gzip file can hold"},
		{"gzip: truncated data", gz(t, valid[:len(valid)-1]), 3,
			"IDX header claims 2x2x2 = 8 values, gzip stream holds only 7 (truncated?)"},
		{"gzip: surplus data", gz(t, append(valid[:len(valid):len(valid)], 9)), 3,
			"IDX header claims 2x2x2 = 8 values, gzip stream holds more"},
		{"gzip: cut short", corrupt, 3, "gzip: unexpected EOF"},
		{"gzip: bad checksum", badSum, 3, "gzip: invalid checksum"},
		{"gzip: bad header", []byte{0x1f, 0x8b, 0, 0}, 3, "gzip: unexpected EOF"},
		{"gzip: corrupt deflate", append(gz(t, nil)[:10:10], 0xff, 0xff, 0xff), 3, "gzip: flate: corrupt input before offset 1"},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			idx, err := ReadIDX(name, tt.data, tt.ndims)
			require.Error(t, err)
			assert.Nil(t, idx)
			want := strings.ReplaceAll(tt.want, "{len}", strconv.Itoa(len(tt.data)))
			assert.Equal(t, name+": "+want, err.Error())
		})
	}
}

// FuzzReadIDX checks that no input panics, that what is accepted is
// consistent, that errors are one line naming the file, and that the memory
// allocated is bounded by what the input can hold, never by what its header
// claims.
func FuzzReadIDX(f *testing.F) {
	valid := idxBytes(8, []uint32{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	seeds := [][]byte{
		valid,
		idxBytes(8, []uint32{3}, []byte{5, 0, 4}),
		idxBytes(8, []uint32{60000, 28, 28}, nil),
		idxBytes(8, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, []byte{1}),
		idxBytes(0x0d, []uint32{1}, []byte{1, 2, 3, 4}),
		{0, 0, 8, 0},
		{0x1f, 0x8b},
		{},
		valid[:7],
	}
	for _, s := range seeds {
		for ndims := range uint8(4) {
			f.Add(s, ndims)
			f.Add(gz(f, s), ndims)
		}
	}
	f.Add(gz(f, idxBytes(8, []uint32{100, 100, 100}, make([]byte, 1000000))), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, ndims uint8) {
		want := int(ndims % 4)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		idx, err := ReadIDX("fuzz", data, want)
		runtime.ReadMemStats(&after)

		limit := uint64(64 << 10)
		if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
			// gzip and flate state, plus a buffer that grows by appending up to
			// everything the stream can decompress to.
			limit = 1<<20 + 3*maxDeflateRatio*uint64(len(data))
		}
		assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, limit, "allocated for a %d-byte input", len(data))

		if err != nil {
			assert.Nil(t, idx)
			assert.True(t, strings.HasPrefix(err.Error(), "fuzz: "), err.Error())
			assert.NotContains(t, err.Error(), "\n")
			return
		}
		require.NotNil(t, idx)
		if want > 0 {
			assert.Len(t, idx.Dims, want)
		}
		size := 1
		for _, d := range idx.Dims {
			size *= d
		}
		assert.Len(t, idx.Data, size)
	})
}
