package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/tools/photos"
)

// mnistSplit returns the MNIST training or test digits, or skips.
func mnistSplit(t *testing.T, train bool) *dataset.Set {
	dir, err := dataset.FindMNIST("")
	if err != nil {
		t.Skip(err)
	}
	s, err := dataset.LoadMNIST(dir, train)
	require.NoError(t, err)
	return s
}

// writePhotos writes n generated digit photos as DIR/<label>/NNNN.jpg, every
// fifth one as a PNG, and returns the files.
func writePhotos(t *testing.T, dir string, set *dataset.Set, n int, opt photos.Options) []string {
	ph, err := photos.Generate(set, n, opt)
	require.NoError(t, err)
	var files []string
	for i, p := range ph {
		sub := filepath.Join(dir, fmt.Sprint(p.Label))
		require.NoError(t, os.MkdirAll(sub, 0o755))
		path := filepath.Join(sub, fmt.Sprintf("%04d.jpg", i))
		data := p.JPEG
		if i%5 == 4 {
			img, err := jpeg.Decode(bytes.NewReader(p.JPEG))
			require.NoError(t, err)
			var b bytes.Buffer
			require.NoError(t, png.Encode(&b, img))
			path, data = strings.TrimSuffix(path, ".jpg")+".png", b.Bytes()
		}
		require.NoError(t, os.WriteFile(path, data, 0o644))
		files = append(files, path)
	}
	return files
}

// evalPredictions runs eval --json on a folder and returns each file's
// predicted label.
func evalPredictions(t *testing.T, model, dir string) (map[string]string, float64) {
	stdout, stderr, code := edgecnn(t, "eval", "--model", model, "--data", dir, "--json")
	require.Zero(t, code, stderr)
	var res struct {
		Top1   float64 `json:"top1"`
		Images []evalImage
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	out := map[string]string{}
	for _, im := range res.Images {
		out[im.File] = im.Predicted
	}
	return out, res.Top1
}

// runLabels runs run --json on a folder and returns each file's label
// ("no digit" where none was found).
func runLabels(t *testing.T, model, dir string) map[string]string {
	stdout, stderr, code := edgecnn(t, "run", "--model", model, "--source", dir, "--json")
	require.Zero(t, code, stderr)
	out := map[string]string{}
	for _, r := range jsonLines(t, stdout) {
		if !r.Found {
			r.Label = "no digit"
		}
		out[r.File] = r.Label
	}
	return out
}

// TestEvalAndRunAgree is issue 13's first bar: eval and run prepare every
// image of a folder the same way, so they give it the same label; for the
// committed digit model (the digit path) and for an imported ImageNet-style
// model (the image path), JPEGs and PNGs, DIR/<label>/* as the held-out
// digit photos are laid out.
func TestEvalAndRunAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and re-encodes photos in this process, the part -race slows; the commands it compares run in the full suite")
	}
	dir := t.TempDir()
	digits := filepath.Join(dir, "digits")
	files := writePhotos(t, digits, mnistSplit(t, false), 40, photos.Options{Seed: 11})
	model := filepath.Join("..", "..", "models", "lenet5.int8.safetensors")
	evaluated, top1 := evalPredictions(t, model, digits)
	ran := runLabels(t, model, digits)
	require.Len(t, evaluated, len(files))
	for _, f := range files {
		require.Equal(t, evaluated[f], ran[f], "%s: eval and run disagree", f)
	}
	require.Greater(t, top1, 0.7, "the digit path, not a shrunk frame")

	// An RGB model with the ImageNet recipe, on photographs.
	rgb := filepath.Join(dir, "rgb.safetensors")
	_, stderr, code := edgecnn(t, "import", "--onnx", filepath.Join("testdata", "rgb.onnx"), "--preset", "imagenet", "--out", rgb)
	require.Zero(t, code, stderr)
	pictures := filepath.Join(dir, "pictures")
	src, err := filepath.Glob(filepath.Join("..", "..", "preprocess", "testdata", "photos", "*.jpg"))
	require.NoError(t, err)
	for i, s := range src {
		data, err := os.ReadFile(s)
		require.NoError(t, err)
		sub := filepath.Join(pictures, fmt.Sprint(i))
		require.NoError(t, os.MkdirAll(sub, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(sub, "a.jpg"), data, 0o644))
		img, err := jpeg.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		half := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx()/2, img.Bounds().Dy()))
		for y := range half.Rect.Dy() {
			for x := range half.Rect.Dx() {
				half.Set(x, y, img.At(x, y))
			}
		}
		var b bytes.Buffer
		require.NoError(t, png.Encode(&b, half))
		require.NoError(t, os.WriteFile(filepath.Join(sub, "b.png"), b.Bytes(), 0o644))
	}
	evaluated, _ = evalPredictions(t, rgb, pictures)
	ran = runLabels(t, rgb, pictures)
	require.Len(t, evaluated, 2*len(src))
	for f, label := range evaluated {
		require.Equal(t, label, ran[f], "%s: eval and run disagree", f)
	}
}

// TestCaptureTrainRunDigits is the digit workflow end to end on generated
// photos: capture frames per label from folders of photos, train LeNet-5 on
// them (the digit path is chosen and kept, and 10% is held out for the
// test), then run the model on new photos.
func TestCaptureTrainRunDigits(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	dir := t.TempDir()
	shots := filepath.Join(dir, "shots")
	writePhotos(t, shots, mnistSplit(t, true), 400, photos.Options{Seed: 21, Level: photos.Easy, Width: 320, Height: 240})
	data := filepath.Join(dir, "data")
	for d := range 10 {
		src := filepath.Join(shots, fmt.Sprint(d))
		if _, err := os.Stat(src); err != nil {
			continue
		}
		_, stderr, code := edgecnn(t, "capture", "--source", src, "--label", fmt.Sprint(d), "--out", data)
		require.Zero(t, code, stderr)
	}
	model := filepath.Join(dir, "mine.safetensors")
	stdout, stderr, code := edgecnn(t, "train", "--arch", "lenet5", "--data", data, "--epochs", "12", "--out", model)
	require.Zero(t, code, stderr)
	require.Contains(t, stderr, "preprocessing: digit (MNIST-style, 32x32) (the classes are digits and the images photos")
	require.Contains(t, stderr, "has no test split: testing on 40 images held out at random (10% of each class, seed 1)")
	require.Contains(t, stdout, "wrote "+model)
	stdout, stderr, code = edgecnn(t, "inspect", "--model", model)
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "preprocessing digit")

	test := filepath.Join(dir, "test")
	files := writePhotos(t, test, mnistSplit(t, false), 60, photos.Options{Seed: 22, Level: photos.Easy, Width: 320, Height: 240})
	ran := runLabels(t, model, test)
	right := 0
	for _, f := range files {
		if ran[f] == filepath.Base(filepath.Dir(f)) {
			right++
		}
	}
	t.Logf("the model trained on 360 captured photos reads %d/%d new ones", right, len(files))
	require.GreaterOrEqual(t, right, len(files)*7/10)
}
