package onnx

import (
	"encoding/json"
	"flag"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
)

// The torchvision zoo, as testdata/zoo.py exports it: the small fixtures
// in testdata/zoo by default, or the full-size networks it writes with
// --full:
//
//	go test ./tools/convert/onnx -run TestZoo -v -zoo /tmp/zoo -timeout 3h
var (
	defaultZooDir = filepath.Join("testdata", "zoo")
	zooDir        = flag.String("zoo", defaultZooDir, "folder of the zoo exported by testdata/zoo.py")
)

// The float bounds of issue 14: logits within 1e-4 of PyTorch's (or 1e-5
// of their range where that is larger), with the same top-1.
const zooAbs, zooRel = 1e-4, 1e-5

// The image streams of zoo.py, added to a model's seed.
const (
	streamParity      = 2
	streamCalibration = 3
	streamEvaluation  = 4
)

type zooManifest struct {
	Mean, Std []float64
	Models    []struct {
		Name    string
		Size    int
		Classes int
		Params  int
		Raw     bool
	}
}

func readZoo(t *testing.T) zooManifest {
	data, err := os.ReadFile(filepath.Join(*zooDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var z zooManifest
	if err := json.Unmarshal(data, &z); err != nil {
		t.Fatal(err)
	}
	return z
}

// mix is splitmix64's finaliser, as zoo.py's.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// zooGrid is the number of control points per side of an image's smooth
// colour field.
const zooGrid = 6

// zooPixels returns images first .. first+n-1 of the seeded stream of
// zoo.py's pixels, [n, 3, size, size]: the same bytes, computed the same way
// in integers.
func zooPixels(seed uint64, first, n, size int) []uint8 {
	out := make([]uint8, 0, n*3*size*size)
	d := size - 1
	g0, g1, f := make([]int, size), make([]int, size), make([]int64, size)
	for k := range size {
		t := k * (zooGrid - 1)
		g0[k], f[k] = t/d, int64(t%d)
		g1[k] = min(g0[k]+1, zooGrid-1)
	}
	for img := range n {
		for c := range 3 {
			key := mix(seed*0x9E3779B97F4A7C15+uint64(first+img))*4 + uint64(c)
			var grid [zooGrid][zooGrid]int64
			for gy := range zooGrid {
				for gx := range zooGrid {
					grid[gy][gx] = int64(mix(key*zooGrid*zooGrid+uint64(gy*zooGrid+gx)) & 255)
				}
			}
			for y := range size {
				var row [zooGrid]int64
				for gx := range zooGrid {
					row[gx] = grid[g0[y]][gx]*(int64(d)-f[y]) + grid[g1[y]][gx]*f[y]
				}
				for x := range size {
					smooth := (row[g0[x]]*(int64(d)-f[x]) + row[g1[x]]*f[x]) / int64(d*d)
					noise := int64(mix(^(key*uint64(size*size) + uint64(y*size+x))) & 255)
					out = append(out, uint8((3*smooth+noise)/4))
				}
			}
		}
	}
	return out
}

// zooInput normalises pixels as zoo.py does: in float64, rounded to
// float32 once.
func zooInput(z zooManifest, pixels []uint8, plane int) []float32 {
	out := make([]float32, len(pixels))
	for k, p := range pixels {
		c := k / plane % 3
		out[k] = float32((float64(p)/255 - z.Mean[c]) / z.Std[c])
	}
	return out
}

func zooSeed(name string, stream int) uint64 {
	return uint64(crc32.ChecksumIEEE([]byte(name))) + uint64(stream)
}

// TestZooPixels pins the image generator to values zoo.py printed.
func TestZooPixels(t *testing.T) {
	got := zooPixels(zooSeed("mobilenet_v2", streamParity), 1, 1, 64)
	sum := 0
	for _, p := range got {
		sum += int(p)
	}
	if want := []uint8{207, 238, 195, 205, 149, 156, 178, 124}; !slices.Equal(got[:8], want) || sum != 1482600 {
		t.Errorf("first pixels %v and sum %d, zoo.py gives %v and 1482600", got[:8], sum, want)
	}
}

// TestZoo imports every network of the zoo, exported both ways, and
// checks its float32 logits against PyTorch's.
func TestZoo(t *testing.T) {
	z := readZoo(t)
	mean, std := z.normalisation()
	for _, zm := range z.Models {
		t.Run(zm.Name, func(t *testing.T) {
			files := []string{zm.Name + ".onnx"}
			if zm.Raw {
				files = append(files, zm.Name+".raw.onnx")
			}
			pixels := zooPixels(zooSeed(zm.Name, streamParity), 0, 4, zm.Size)
			input := zooInput(z, pixels, zm.Size*zm.Size)
			want := readNPYFile(t, filepath.Join(*zooDir, zm.Name+".logits.npy"))
			for _, file := range files {
				m, err := Read(filepath.Join(*zooDir, file), Options{Mean: mean, Std: std})
				if err != nil {
					t.Fatal(err)
				}
				worst, bound := checkParity(t, m, input, want.Data, zm.Classes)
				t.Logf("%s: %d layers, max abs difference from PyTorch %.3g (bound %.3g)", file, len(m.Nodes), worst, bound)
			}
		})
	}
}

// normalisation returns the zoo's mean and standard deviation per channel.
func (z zooManifest) normalisation() (mean, std []float32) {
	for c := range z.Mean {
		mean, std = append(mean, float32(z.Mean[c])), append(std, float32(z.Std[c]))
	}
	return mean, std
}

// checkParity runs the float model on the 4 parity inputs and compares its
// logits with PyTorch's: it returns the largest difference and its bound.
func checkParity(t *testing.T, m *nn.Model, input, want []float32, classes int) (worst, bound float64) {
	t.Helper()
	e, err := engine.New(m, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n := len(want) / classes
	got, err := e.InferFloat(input, n)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := slices.Min(want), slices.Max(want)
	bound = max(zooAbs, zooRel*float64(hi-lo))
	for k := range got {
		worst = max(worst, math.Abs(float64(got[k]-want[k])))
	}
	if worst > bound {
		t.Errorf("max abs difference from PyTorch %g > %g", worst, bound)
	}
	for s := range n {
		if g, w := argmax(got[s*classes:(s+1)*classes]), argmax(want[s*classes:(s+1)*classes]); g != w {
			t.Errorf("sample %d: top-1 %d, PyTorch's %d", s, g, w)
		}
	}
	return worst, bound
}
