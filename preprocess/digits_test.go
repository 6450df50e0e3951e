package preprocess_test

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/tools/photos"
)

var mnistTest = sync.OnceValues(func() (*dataset.Set, error) {
	dir, err := dataset.FindMNIST("")
	if err != nil {
		return nil, err
	}
	return dataset.LoadMNIST(dir, false)
})

// mnistSet returns the MNIST test digits, or skips.
func mnistSet(t testing.TB) *dataset.Set {
	set, err := mnistTest()
	if err != nil {
		t.Skip(err)
	}
	return set
}

// tally counts right answers per level and per hard condition.
type tally struct {
	n, ok map[string]int
	// inherent counts the misread photos whose MNIST digit the model
	// misreads too.
	inherent int
}

func (t *tally) add(p *photos.Photo, right bool) {
	if t.n == nil {
		t.n, t.ok = map[string]int{}, map[string]int{}
	}
	keys := []string{p.Level.String()}
	if p.Level == photos.Hard {
		keys = append(keys, p.Conditions...)
	}
	for _, k := range keys {
		t.n[k]++
		if right {
			t.ok[k]++
		}
	}
}

func (t *tally) acc(k string) float64 { return float64(t.ok[k]) / float64(max(t.n[k], 1)) }

func (t *tally) String() string {
	var b strings.Builder
	keys := make([]string, 0, len(t.n))
	for k := range t.n {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-11s %6.2f%% (%d/%d)\n", k, 100*t.acc(k), t.ok[k], t.n[k])
	}
	fmt.Fprintf(&b, "  misread in MNIST too: %d\n", t.inherent)
	return b.String()
}

// readDigits classifies generated photos with the committed int8 LeNet-5
// through the digit path. EDGECNN_DUMP_FAILURES=DIR writes the photos it
// gets wrong and what the model saw.
func readDigits(t *testing.T, opt photos.Options, n int) *tally {
	ph := generate(t, opt, n)
	m, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	e, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	p, err := preprocess.New(m.Input, preprocess.Options{})
	require.NoError(t, err)
	dump := os.Getenv("EDGECNN_DUMP_FAILURES")
	var tl tally
	for i := range ph {
		photo := &ph[i]
		res, err := p.File(photo.JPEG)
		require.NoError(t, err)
		got := -1
		if res.Found {
			logits, err := e.Infer(res.Pixels, 1)
			require.NoError(t, err)
			got = argmax(logits)
		}
		tl.add(photo, got == photo.Label)
		if got != photo.Label {
			orig, err := e.Infer(mnistSet(t).Image(photo.Index), 1)
			require.NoError(t, err)
			if argmax(orig) != photo.Label {
				tl.inherent++
			}
		}
		if got != photo.Label && dump != "" {
			name := fmt.Sprintf("s%d_%04d_%s_%d_got%d_%s", opt.Seed, i, photo.Level, photo.Label, got, strings.Join(photo.Conditions, "+"))
			os.WriteFile(filepath.Join(dump, name+".jpg"), photo.JPEG, 0o644)
			writePGM(filepath.Join(dump, name+".pgm"), res.Pixels, 32, 32)
		}
	}
	return &tl
}

// generate makes n photos, or reads them from EDGECNN_PHOTO_CACHE (a
// folder) when tuning runs over the same photos again and again.
func generate(t *testing.T, opt photos.Options, n int) []photos.Photo {
	cache := os.Getenv("EDGECNN_PHOTO_CACHE")
	path := filepath.Join(cache, fmt.Sprintf("%d_%s_%v_%d.gob", opt.Seed, opt.Level, opt.MixSizes, n))
	if cache != "" {
		if f, err := os.Open(path); err == nil {
			defer f.Close()
			var ph []photos.Photo
			if gob.NewDecoder(f).Decode(&ph) == nil {
				return ph
			}
		}
	}
	ph, err := photos.Generate(mnistSet(t), n, opt)
	require.NoError(t, err)
	if cache != "" {
		var b bytes.Buffer
		require.NoError(t, gob.NewEncoder(&b).Encode(ph))
		require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	}
	return ph
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

func writePGM(path string, pix []uint8, w, h int) {
	data := fmt.Appendf(nil, "P5\n%d %d\n255\n", w, h)
	os.WriteFile(path, append(data, pix...), 0o644)
}

// TestDigitPhotosAccuracy measures the digit path with the committed int8
// LeNet-5 on seeds it was never tuned on (tuning used seeds 1 to 9), per
// level. Issue 13 asks for 99.5% of easy and medium photos and 99.0% of
// hard ones; the floors below are what the path reaches today, raised as
// it improves.
func TestDigitPhotosAccuracy(t *testing.T) {
	if raceEnabled {
		t.Skip("single-goroutine code: the accuracy run is left to the build without -race")
	}
	n := 600
	if testing.Short() {
		n = 150
	}
	for _, level := range []photos.Level{photos.Easy, photos.Medium, photos.Hard} {
		tl := readDigits(t, photos.Options{Seed: 20260613, Level: level}, n)
		t.Logf("%s:\n%s", level, tl)
		want := map[photos.Level]float64{photos.Easy: 0.97, photos.Medium: 0.95, photos.Hard: 0.85}[level]
		require.GreaterOrEqual(t, tl.acc(level.String()), want, "%s photos", level)
	}
}

// TestDigitTuning reports accuracy on the tuning seeds, per condition: run
// it with EDGECNN_TUNE=SEED[,SEED...] (and EDGECNN_TUNE_N, default 600).
func TestDigitTuning(t *testing.T) {
	seeds := os.Getenv("EDGECNN_TUNE")
	if seeds == "" {
		t.Skip("set EDGECNN_TUNE=seeds")
	}
	n := 600
	if v, err := strconv.Atoi(os.Getenv("EDGECNN_TUNE_N")); err == nil {
		n = v
	}
	for _, s := range strings.Split(seeds, ",") {
		seed, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		for _, level := range []photos.Level{photos.Easy, photos.Medium, photos.Hard} {
			t.Logf("seed %d %s:\n%s", seed, level, readDigits(t, photos.Options{Seed: seed, Level: level, MixSizes: os.Getenv("EDGECNN_TUNE_SIZES") != ""}, n))
		}
	}
}
