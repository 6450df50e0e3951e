package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/randmodel"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// modelOptions are the flags of the -model modes.
type modelOptions struct {
	model, path, input, save, saveInput string
	batch, calls                        int
}

// calibImages is the number of images the AlexNet is calibrated on.
// Instruction counts do not depend on the weights or the ranges, so a few
// suffice.
const calibImages = 64

func runModel(o modelOptions) error {
	if o.batch < 1 {
		return fmt.Errorf("-batch %d: want at least 1", o.batch)
	}
	m, err := loadModel(o.model)
	if err != nil {
		return err
	}
	switch {
	case o.save != "":
		return nn.Save(o.save, m)
	case o.saveInput != "":
		pixels, err := inputPixels(m, o.batch, "")
		if err != nil {
			return err
		}
		return os.WriteFile(o.saveInput, pixels, 0o644)
	}
	if err := kernels.Use(o.path); err != nil {
		return err
	}
	pixels, err := inputPixels(m, o.batch, o.input)
	if err != nil {
		return err
	}
	e, err := engine.New(m, engine.Options{Threads: 1})
	if err != nil {
		return err
	}
	defer e.Close()
	for range o.calls {
		begin()
		if _, err := e.Infer(pixels, o.batch); err != nil {
			return err
		}
		end()
	}
	return nil
}

// The plugin counts the thread that called begin: keep the work on the
// main thread (an engine with one thread runs on its caller's goroutine).
func init() { runtime.LockOSThread() }

// begin and end mark the start and the end of a counted call for the
// plugin (icount.sh passes their addresses). They must stay functions of
// their own.
//
//go:noinline
func begin() { sink++ }

//go:noinline
func end() { sink++ }

var sink int

// loadModel returns the int8 model named by -model.
func loadModel(name string) (*nn.Model, error) {
	var m *nn.Model
	var err error
	switch {
	case name == "lenet5":
		m, err = nn.Decode(models.LeNet5Int8())
	case name == "alexnet":
		m, err = alexNetInt8()
	case slices.Contains(randmodel.Names, name):
		_, m, err = randmodel.Build(name, nil)
	default:
		m, err = nn.Load(name)
	}
	if err != nil {
		return nil, err
	}
	if !m.Quantized() {
		return nil, fmt.Errorf("%s is a float model; icount counts int8 inference", name)
	}
	return m, nil
}

// alexNetInt8 is randmodel.AlexNet quantized on calibImages MNIST training
// images, or synthetic digits when MNIST is not on this machine.
func alexNetInt8() (*nn.Model, error) {
	calib := &dataset.Set{Name: "calibration", Channels: 1, Height: 32, Width: 32, Classes: randmodel.Digits}
	if set, err := mnist(true); err == nil {
		calib = set.Head(calibImages)
	} else {
		calib.Images = syntheticDigits(calibImages, 32, 32)
		calib.Labels = make([]int, calibImages)
	}
	_, q, err := randmodel.AlexNet(calib)
	return q, err
}

// mnist loads the MNIST training or test set if it is on this machine.
func mnist(train bool) (*dataset.Set, error) {
	dir, err := dataset.FindMNIST("")
	if err != nil {
		return nil, err
	}
	return dataset.LoadMNIST(dir, train)
}

// modelLayers lists the layers of the model named by -model that run on
// their own (an activation fused into its producer runs inside it), with
// their MACs per image: the layers whose forward method the plugin marks,
// in the order they run.
func modelLayers(name string) ([]layerInfo, error) {
	m, err := loadModel(name)
	if err != nil {
		return nil, err
	}
	e, err := engine.New(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	pixels := make([]uint8, m.Input.Shape().Size())
	profile, err := e.Profile(pixels, 1, 1)
	if err != nil {
		return nil, err
	}
	var out []layerInfo
	for _, l := range profile {
		if !l.Fused {
			out = append(out, layerInfo{l.Name, l.MACs})
		}
	}
	return out, nil
}

// inputPixels returns batch images for m: the file at path (raw pixels, as
// -save-input writes them), else for a 1x32x32 model the first MNIST test
// images or synthetic digits, else seeded random pixels.
func inputPixels(m *nn.Model, batch int, path string) ([]uint8, error) {
	in := m.Input
	size := in.Channels * in.Height * in.Width
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if len(b) != batch*size {
			return nil, fmt.Errorf("%s: %d bytes, want %d images of %v (%d bytes)", path, len(b), batch, in.Shape(), batch*size)
		}
		return b, nil
	}
	if in.Channels == 1 && in.Height == dataset.MNISTSize && in.Width == dataset.MNISTSize {
		if set, err := mnist(false); err == nil && set.Len() >= batch {
			return set.Images[:batch*size], nil
		}
		return syntheticDigits(batch, in.Height, in.Width)[:batch*size], nil
	}
	return randmodel.RandomImages(m, batch, 2).Images, nil
}

// syntheticDigits returns n single-channel h×w images of a bright ring on
// black, shifted a little from image to image: digit-like input for when
// MNIST is missing.
func syntheticDigits(n, h, w int) []uint8 {
	out := make([]uint8, n*h*w)
	for i := range n {
		cy, cx := h/2+i%3-1, w/2+i%5-2
		for y := range h {
			for x := range w {
				d := (y-cy)*(y-cy) + (x-cx)*(x-cx)
				if d >= 25 && d <= 64 {
					out[(i*h+y)*w+x] = 255
				}
			}
		}
	}
	return out
}
