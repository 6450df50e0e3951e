package camera_test

import (
	"fmt"

	"github.com/edgecnn/edgecnn/camera"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// Classify frames of a source with the embedded int8 LeNet-5.
func Example() {
	m, _ := nn.Decode(models.LeNet5Int8())
	eng, _ := engine.New(m, engine.Options{Threads: 1})
	src, _ := camera.Open("synthetic", camera.Options{Format: camera.FormatYUYV})
	defer src.Close()
	pre, _ := camera.NewPreprocessor(m.Input, camera.PreOptions{})
	var f camera.Frame
	for range 3 {
		if err := src.Read(&f); err != nil {
			break
		}
		in, err := pre.Process(&f)
		if err != nil || !in.Found {
			continue
		}
		logits, _ := eng.Infer(in.Pixels, 1)
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		fmt.Printf("frame %d: %s\n", f.Index, m.Labels[best])
	}
	// Output:
	// frame 0: 0
	// frame 1: 0
	// frame 2: 0
}
