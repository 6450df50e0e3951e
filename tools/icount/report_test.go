package main

import (
	"strings"
	"testing"

	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// A plugin output for two calls of LeNet-5 (one range, "kernel"), the
// second call with 7 instructions of another thread inside pool1.
const lenetRun = `icount total 5000
icount kernel 300
icount mark begin 1000 0
icount mark convInt8 1010 0
icount mark poolInt8 1110 50
icount mark convInt8 1130 50
icount mark poolInt8 1230 100
icount mark copyInt8 1240 100
icount mark linearInt8 1245 100
icount mark linearInt8 1275 120
icount mark linearInt8 1295 130
icount mark end 1305 135
icount mark begin 2000 135
icount mark convInt8 2010 135
icount mark poolInt8 2110 185
icount mark convInt8 2137 185
icount mark poolInt8 2237 235
icount mark copyInt8 2247 235
icount mark linearInt8 2252 235
icount mark linearInt8 2282 255
icount mark linearInt8 2302 265
icount mark end 2312 270
`

func TestLayers(t *testing.T) {
	m, err := nn.Decode(models.LeNet5Int8())
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseRun(strings.NewReader(lenetRun))
	if err != nil {
		t.Fatal(err)
	}
	ls, whole, err := layers(m, r)
	if err != nil {
		t.Fatal(err)
	}
	if whole != 305 {
		t.Errorf("whole call: %d, want 305 (the faster call)", whole)
	}
	want := map[string]uint64{"input": 10, "conv1": 100, "act1": 0, "pool1": 20, "conv2": 100, "act2": 0, "pool2": 10,
		"flatten": 5, "fc1": 30, "act3": 0, "fc2": 20, "act4": 0, "fc3": 10}
	for _, l := range ls {
		if w, ok := want[l.name]; !ok || l.total != w {
			t.Errorf("%s: %d instructions, want %d", l.name, l.total, w)
		}
		if l.name == "act1" && !l.fused {
			t.Errorf("act1 is not reported as fused")
		}
		if l.name == "conv1" && l.counts[0] != 50 {
			t.Errorf("conv1: kernel %d, want 50", l.counts[0])
		}
	}
	// A mark that matches no layer is an error, not a wrong table.
	bad := strings.Replace(lenetRun, "copyInt8 1240", "lookup 1240", 1)
	bad = strings.Replace(bad, "copyInt8 2247", "lookup 2247", 1)
	r, err = parseRun(strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := layers(m, r); err == nil {
		t.Error("no error for a lookup mark where LeNet-5 has a flatten")
	}
}
