package onnx

import (
	"flag"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
	"github.com/edgecnn/edgecnn/tools/convert"
)

var (
	zooMethod = flag.String("zoo-method", "minmax", "calibration method of the zoo's int8 conversions")
	zooFused  = flag.Bool("zoo-fused", false, "TestZooFusedActivations: emulate activations applied in the convolutions' epilogue")
)

// The int8 bounds of issue 14: per-channel weights, calibrated on 64
// images, logits at least 25 dB SQNR from float's, with the same top-1 on
// 90% of 256 images.
const (
	zooCalibration  = 64
	zooEvaluation   = 256
	zooMinSQNR      = 25
	zooMinAgreement = 0.90
)

// zooBatch is the number of images the int8 check runs at once.
const zooBatch = 16

// TestZooInt8 converts every network of the zoo to int8 and compares it
// with float: the table it logs is BENCHMARKS.md's.
func TestZooInt8(t *testing.T) {
	z := readZoo(t)
	mean, std := z.normalisation()
	var table []string
	for _, zm := range z.Models {
		t.Run(zm.Name, func(t *testing.T) {
			m, err := Read(filepath.Join(*zooDir, zm.Name+".onnx"), Options{Mean: mean, Std: std})
			if err != nil {
				t.Fatal(err)
			}
			f := checkInt8(t, m, zm.Name, zm.Size)
			table = append(table, fmt.Sprintf("| %s | %d | %.1f dB | %.1f%% | %d | %.1f dB |",
				zm.Name, zm.Params, f.sqnr, 100*f.agreement, f.distinct, f.varying))
		})
	}
	t.Logf("int8 against float32 (%s):\n"+
		"| model | parameters | logit SQNR | top-1 agreement | distinct top-1 | SQNR of what the image changes |\n"+
		"|---|---|---|---|---|---|\n%s", *zooDir, strings.Join(table, "\n"))
}

// int8Figures compares int8 logits with float's over the evaluation
// images: SQNR, top-1 agreement, the number of classes float picks, and
// the SQNR of the logits minus float's mean logit of each class over the
// images (what the image changes: the random networks give every image
// much the same logits, which inflates the plain SQNR).
type int8Figures struct {
	sqnr, agreement float64
	distinct        int
	varying         float64
}

// checkInt8 converts m to int8, calibrated on the model's calibration
// images, and compares int8 with float logits on its evaluation images.
func checkInt8(t *testing.T, m *nn.Model, name string, size int) int8Figures {
	t.Helper()
	q, err := convert.Quantize(m, zooImages(name, size, streamCalibration, zooCalibration), convert.Options{Method: *zooMethod})
	if err != nil {
		t.Fatal(err)
	}
	eval := zooImages(name, size, streamEvaluation, zooEvaluation)
	logits := [2][]float32{zooLogits(t, m, eval), zooLogits(t, q, eval)}
	classes := len(m.Labels)
	agree, top := 0, map[int]bool{}
	for s := range eval.Len() {
		want := argmax(logits[0][s*classes : (s+1)*classes])
		top[want] = true
		if argmax(logits[1][s*classes:(s+1)*classes]) == want {
			agree++
		}
	}
	f := int8Figures{sqnr: quant.SQNR(logits[0], logits[1]), agreement: float64(agree) / float64(eval.Len()), distinct: len(top),
		varying: quant.SQNR(centreClasses(logits[0], logits[0], classes), centreClasses(logits[1], logits[0], classes))}
	sqnr, agreement := f.sqnr, f.agreement
	t.Logf("int8: logit SQNR %.1f dB (%.1f dB of what the image changes), top-1 agreement %d/%d (float picks %d distinct classes)",
		sqnr, f.varying, agree, eval.Len(), len(top))
	if sqnr < zooMinSQNR {
		t.Errorf("int8 logit SQNR %.1f dB < %d dB", sqnr, zooMinSQNR)
	}
	if agreement < zooMinAgreement {
		t.Errorf("int8 top-1 agrees with float on %.1f%% < %.0f%%", 100*agreement, 100*zooMinAgreement)
	}
	return f
}

// zooImages returns n images of the seeded stream of model name's
// pixels, size x size.
func zooImages(name string, size, stream, n int) *dataset.Set {
	return &dataset.Set{Name: name, Channels: 3, Height: size, Width: size, Classes: []string{"0"},
		Images: zooPixels(zooSeed(name, stream), 0, n, size), Labels: make([]int, n)}
}

// zooLogits returns the logits of model m on the images of set.
func zooLogits(t *testing.T, m *nn.Model, set *dataset.Set) []float32 {
	t.Helper()
	e, err := engine.New(m, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// In batches: the engine holds a batch's activations, which for 256
	// full-size images is gigabytes.
	var logits []float32
	size := set.ImageSize()
	for lo := 0; lo < set.Len(); lo += zooBatch {
		n := min(zooBatch, set.Len()-lo)
		out, err := e.Infer(set.Images[lo*size:(lo+n)*size], n)
		if err != nil {
			t.Fatal(err)
		}
		logits = append(logits, out...)
	}
	return logits
}

// centreClasses returns logits [n, classes] minus ref's mean logit of
// each class over its n rows.
func centreClasses(logits, ref []float32, classes int) []float32 {
	n := len(ref) / classes
	mean := make([]float64, classes)
	for k, v := range ref {
		mean[k%classes] += float64(v) / float64(n)
	}
	out := make([]float32, len(logits))
	for k, v := range logits {
		out[k] = float32(float64(v) - mean[k%classes])
	}
	return out
}

// TestZooFusedActivations (with -zoo-fused) estimates what applying
// hard-swish, hard-sigmoid, SiLU and sigmoid in the epilogue of the
// convolution before them (one rounding, from the int32 accumulator) would
// gain over today's lookup table after an int8 convolution output (two):
// it keeps those convolutions float32, on weights rounded to their int8
// values, so that only the activation's output is quantized, and compares
// the logit SQNR with that of the plain conversion, for the networks that
// have such convolutions. The int32 bias and the fixed-point multiplier are
// not emulated.
func TestZooFusedActivations(t *testing.T) {
	if !*zooFused {
		t.Skip("an estimate for BENCHMARKS.md: run with -zoo-fused")
	}
	z := readZoo(t)
	mean, std := z.normalisation()
	for _, zm := range z.Models {
		t.Run(zm.Name, func(t *testing.T) {
			m, err := Read(filepath.Join(*zooDir, zm.Name+".onnx"), Options{Mean: mean, Std: std})
			if err != nil {
				t.Fatal(err)
			}
			if m, err = nn.FoldBatchNorm(m); err != nil {
				t.Fatal(err)
			}
			fusable, rounded := fusableConvs(m)
			if len(fusable) == 0 {
				t.Skip("no convolution followed by a hard-swish, hard-sigmoid, SiLU or sigmoid")
			}
			calib := zooImages(zm.Name, zm.Size, streamCalibration, zooCalibration)
			eval := zooImages(zm.Name, zm.Size, streamEvaluation, zooEvaluation)
			want := zooLogits(t, m, eval)
			var db [2]float64
			for k, f := range []*nn.Model{m, rounded} {
				var keep []string
				if k == 1 {
					keep = fusable
				}
				q, err := convert.Quantize(f, calib, convert.Options{Method: *zooMethod, Float: keep})
				if err != nil {
					t.Fatal(err)
				}
				db[k] = quant.SQNR(want, zooLogits(t, q, eval))
			}
			t.Logf("%d convolutions with a fusable activation: logit SQNR %.1f dB, emulated fused %.1f dB", len(fusable), db[0], db[1])
		})
	}
}

// fusableConvs returns the conv2d and linear layers of m read only by a
// hard-swish, hard-sigmoid, SiLU or sigmoid that follows them, and a copy
// of m with those layers' weights rounded to their int8 values.
func fusableConvs(m *nn.Model) ([]string, *nn.Model) {
	readers := map[string]int{}
	for _, n := range m.Nodes {
		for _, in := range n.Inputs {
			readers[in]++
		}
	}
	rounded := *m
	rounded.Params = maps.Clone(m.Params)
	var names []string
	for i, n := range m.Nodes[:len(m.Nodes)-1] {
		next := m.Nodes[i+1]
		switch {
		case n.Op != nn.OpConv2D && n.Op != nn.OpLinear, readers[n.Name] != 1, next.Inputs[0] != n.Name:
			continue
		case next.Op != nn.OpHardSwish && next.Op != nn.OpHardSigmoid && next.Op != nn.OpSiLU && next.Op != nn.OpSigmoid:
			continue
		}
		names = append(names, n.Name)
		w := m.Weight(n)
		q, scales := quant.QuantizeWeights(w.F32, w.Shape[0])
		r := make([]float32, len(q))
		for k, v := range q {
			r[k] = float32(v) * scales[k/(len(q)/len(scales))]
		}
		rounded.Params[n.Name+".weight"] = &nn.Tensor{DType: nn.F32, Shape: w.Shape, F32: r}
	}
	return names, &rounded
}
