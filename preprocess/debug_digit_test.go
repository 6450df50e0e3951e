package preprocess

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestDebugDigit dumps the digit path's intermediate images of the JPEG
// named by EDGECNN_DEBUG_DIGIT into the folder of EDGECNN_DEBUG_OUT.
func TestDebugDigit(t *testing.T) {
	path, out := os.Getenv("EDGECNN_DEBUG_DIGIT"), os.Getenv("EDGECNN_DEBUG_OUT")
	if path == "" || out == "" {
		t.Skip("set EDGECNN_DEBUG_DIGIT and EDGECNN_DEBUG_OUT")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	hd, _ := ReadHeader(data)
	pic, err := d.Decode(data, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	debugCut = t.Logf
	defer func() { debugCut = nil }()
	var f digitFinder
	outPix := make([]uint8, 32*32)
	box, found := f.find(pic.Planes[0], pic.bounds(), outPix, 32, 32)
	t.Logf("%dx%d found %v box %v d %d thr %d", hd.Width, hd.Height, found, box, f.d, f.comps.thr)
	pgm := func(name string, pix []uint8, w, h int) {
		data := fmt.Appendf(nil, "P5\n%d %d\n255\n", w, h)
		os.WriteFile(filepath.Join(out, name+".pgm"), append(data, pix...), 0o644)
	}
	pgm("small", f.small, f.sw, f.sh)
	pgm("bg", f.bg, f.sw, f.sh)
	pgm("con", f.con, f.sw, f.sh)
	lab := make([]uint8, f.sw*f.sh)
	for i, l := range f.comps.lab {
		switch {
		case l < 0:
			lab[i] = 80
		case l > 0 && f.comps.list[l-1].chosen:
			lab[i] = 255
		case l > 0:
			lab[i] = 160
		}
	}
	pgm("lab", lab, f.sw, f.sh)
	pgm("out", outPix, 32, 32)
	for i := range f.comps.list {
		c := &f.comps.list[i]
		if c.area >= 10 {
			t.Logf("comp %d: area %d ink %d level %.1f solid %.2f sharp %.2f border %d box %v elong %.1f score %.0f chosen %v", i, c.area, c.ink, c.level(), c.solidity(), c.sharpness(), c.border, c.box(), c.elongation(), f.comps.score(c), c.chosen)
		}
	}
}
