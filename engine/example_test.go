package engine_test

import (
	"fmt"
	"log"
	"slices"

	"github.com/edgecnn/edgecnn/camera"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// Classify the frames of a camera clip with an int8 model file: load it,
// prepare each frame as the model's input contract says, infer.
func ExampleLoad() {
	e, err := engine.Load("../models/lenet5.int8.safetensors", engine.Options{Threads: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	m := e.Model()
	pre, err := camera.NewPreprocessor(m.Input, camera.PreOptions{})
	if err != nil {
		log.Fatal(err)
	}
	src, err := camera.Open("../camera/sample/clip.mjpeg", camera.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	var f camera.Frame
	probs := make([]float32, e.Classes())
	for range 5 {
		if err := src.Read(&f); err != nil {
			log.Fatal(err)
		}
		in, err := pre.Process(&f)
		if err != nil {
			log.Fatal(err)
		}
		logits, err := e.Infer(in.Pixels, 1) // one image
		if err != nil {
			log.Fatal(err)
		}
		engine.Softmax(probs, logits)
		best := slices.Index(probs, slices.Max(probs))
		fmt.Printf("frame %d: %s (p > 0.9: %v)\n", f.Index, m.Labels[best], probs[best] > 0.9)
	}
	// Output:
	// frame 0: 4 (p > 0.9: true)
	// frame 1: 0 (p > 0.9: true)
	// frame 2: 3 (p > 0.9: true)
	// frame 3: 5 (p > 0.9: true)
	// frame 4: 8 (p > 0.9: true)
}

// Run a batch of ready-made inputs: Infer takes n images of the model's
// input shape as bytes, one after the other, and returns n rows of logits.
func ExampleEngine_Infer() {
	m, err := nn.Decode(models.LeNet5Int8()) // the model embedded in edgecnn
	if err != nil {
		log.Fatal(err)
	}
	e, err := engine.New(m, engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	const n = 4
	pixels := make([]uint8, n*m.Input.Shape().Size()) // four black 32x32 images
	logits, err := e.Infer(pixels, n)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(logits), "logits:", n, "images x", e.Classes(), "classes")
	fmt.Println(slices.Equal(logits[:10], logits[10:20]), "- the same image gives the same logits")
	// Output:
	// 40 logits: 4 images x 10 classes
	// true - the same image gives the same logits
}
