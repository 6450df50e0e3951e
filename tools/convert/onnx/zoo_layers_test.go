package onnx

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/edgecnn/edgecnn/tools/convert"
)

var zooLayers = flag.String("zoo-layers", "", "TestZooLayers: the network whose per-layer int8 report to log")

// TestZooLayers (with -zoo-layers NAME) logs convert's per-layer report of
// one network of the zoo: each layer's SQNR in the int8 model and alone in
// int8 (the error the layer adds itself), to find where the logits' SQNR
// is lost.
func TestZooLayers(t *testing.T) {
	if *zooLayers == "" {
		t.Skip("a diagnosis: run with -zoo-layers NAME")
	}
	z := readZoo(t)
	mean, std := z.normalisation()
	for _, zm := range z.Models {
		if zm.Name != *zooLayers {
			continue
		}
		m, err := Read(filepath.Join(*zooDir, zm.Name+".onnx"), Options{Mean: mean, Std: std})
		if err != nil {
			t.Fatal(err)
		}
		calib := zooImages(zm.Name, zm.Size, streamCalibration, zooCalibration)
		_, report, err := convert.Convert(m, calib, convert.Options{Method: *zooMethod, Isolated: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range report {
			t.Logf("%-40s %-12s scale %-10.4g zp %4d  SQNR %6.1f  alone %6.1f", r.Name, r.Op, r.Quant.Scale, r.Quant.ZeroPoint, r.SQNR, r.IsolatedSQNR)
		}
		return
	}
	t.Fatalf("no network %q in %s", *zooLayers, *zooDir)
}
