package camera_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/camera"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/photos"
)

var mnistTest = sync.OnceValues(func() (*dataset.Set, error) {
	dir, err := dataset.FindMNIST("")
	if err != nil {
		return nil, err
	}
	return dataset.LoadMNIST(dir, false)
})

// testSet returns the MNIST test digits, or skips.
func testSet(t testing.TB) *dataset.Set {
	set, err := mnistTest()
	if err != nil {
		t.Skip(err)
	}
	return set
}

func int8Engine(t testing.TB) (*nn.Model, *engine.Engine) {
	m, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	e, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	return m, e
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// TestDigitPhotosAccuracy is the bar: the int8 LeNet-5 reads at
// least 97% of camera-like photos of MNIST test digits right.
func TestDigitPhotosAccuracy(t *testing.T) {
	if raceEnabled {
		t.Skip("single-goroutine code: the accuracy run is left to the build without -race")
	}
	set := testSet(t)
	n := 500
	if testing.Short() {
		n = 150
	}
	ph, err := photos.Generate(set, n, photos.Options{Seed: 20260601})
	require.NoError(t, err)
	m, e := int8Engine(t)
	p, err := camera.NewPreprocessor(m.Input, camera.PreOptions{})
	require.NoError(t, err)
	dump := os.Getenv("EDGECNN_DUMP_FAILURES")
	correct, marks, marksCorrect := 0, 0, 0
	for i, photo := range ph {
		f := &camera.Frame{Format: camera.FormatMJPEG, Data: photo.JPEG, Name: fmt.Sprint(i)}
		in, err := p.Process(f)
		require.NoError(t, err)
		logits, err := e.Infer(in.Pixels, 1)
		require.NoError(t, err)
		got := argmax(logits)
		ok := got == photo.Label
		if photo.Mark != "" {
			marks++
		}
		if ok {
			correct++
			if photo.Mark != "" {
				marksCorrect++
			}
		} else {
			t.Logf("photo %d: label %d, got %d (mnist %d, mark %q, box %v, found %v at %v)", i, photo.Label, got, photo.Index, photo.Mark, photo.Box, in.Found, in.Box)
			if dump != "" {
				os.WriteFile(filepath.Join(dump, fmt.Sprintf("fail%03d.jpg", i)), photo.JPEG, 0o644)
				writePGM(filepath.Join(dump, fmt.Sprintf("fail%03d.pgm", i)), in.Pixels, 32, 32)
			}
		}
	}
	acc := float64(correct) / float64(n)
	t.Logf("top-1 %.2f%% (%d/%d); with a stray mark %d/%d", 100*acc, correct, n, marksCorrect, marks)
	require.GreaterOrEqual(t, acc, 0.97)
}

func writePGM(path string, pix []uint8, w, h int) {
	data := fmt.Appendf(nil, "P5\n%d %d\n255\n", w, h)
	os.WriteFile(path, append(data, pix...), 0o644)
}
