package main

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/camera"
	"github.com/edgecnn/edgecnn/internal/atomicfile"
)

// captureOptions are the flags of `edgecnn capture`.
type captureOptions struct {
	source, format, size, roi, label, out, as, model string
	fps                                              float64
	count                                            int
	interval                                         time.Duration
	draft                                            bool
}

func captureCmd() *cobra.Command {
	var o captureOptions
	cmd := &cobra.Command{
		Use:   "capture",
		Short: "Save camera frames as a labelled image-folder dataset",
		Long: `Capture saves frames of a source as files OUT/LABEL/NNNNNN.jpg (JPEG frames as they
came) or .png (other frames), numbered after the files already there, so that
'edgecnn train --data OUT' (and eval) read them. Run it once per label: show the
camera a "7", capture --label 7, and so on. Training reads the frames through the
preprocessing the model keeps (for digit photos the MNIST-style digit path), so
'edgecnn run' later prepares camera frames exactly as training did.

--as frame saves the frame (or the --roi part of it); --as input saves what the
model sees after its preprocessing (the 32x32 digit for a digit model), to check
a setup.`,
		Example: `  edgecnn capture --source /dev/video0 --label 7 --out digits --count 50 --interval 200ms
  edgecnn capture --source rpicam --label cat --out pets --roi 80,0,480,480
  edgecnn capture --source photos/ --label 3 --out digits --as input`,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCapture(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.source, "source", "", "frame source (as for run; required)")
	f.StringVar(&o.label, "label", "", "the class of what the camera sees (required)")
	f.StringVar(&o.out, "out", "", "dataset folder; frames go to OUT/LABEL/ (required)")
	f.StringVar(&o.format, "format", "", "frame format: yuyv, i420, mjpeg (raw files, stdin, cameras)")
	f.StringVar(&o.size, "size", "", "frame size WxH (raw files; the size to ask a camera for)")
	f.Float64Var(&o.fps, "fps", 0, "frame rate to ask a camera for")
	f.StringVar(&o.roi, "roi", "", "save only X,Y,W,H of each frame")
	f.IntVar(&o.count, "count", 0, "frames to save (default: 100 from a camera, all from files)")
	f.DurationVar(&o.interval, "interval", 0, "least time between saved frames, e.g. 250ms (cameras)")
	f.StringVar(&o.as, "as", "frame", "save the frame, or the model input: frame|input")
	f.StringVar(&o.model, "model", "", "model whose input --as input saves (default: the embedded int8 LeNet-5)")
	f.BoolVar(&o.draft, "draft", false, "with --as input: "+draftUsage)
	return cmd
}

func runCapture(cmd *cobra.Command, o captureOptions) error {
	switch {
	case o.source == "":
		return usagef("--source is required (a camera, a file or a folder)")
	case o.out == "":
		return usagef("--out is required (the dataset folder)")
	case o.label == "" || o.label == "." || o.label == ".." || strings.ContainsAny(o.label, `/\`) || strings.HasPrefix(o.label, "."):
		return usagef("--label %q: want a class name usable as a folder name", o.label)
	case o.as != "frame" && o.as != "input":
		return usagef("--as %q: want frame or input", o.as)
	case o.draft && o.as != "input":
		return usagef("--draft changes only what --as input saves; frames are saved as they came")
	case o.count < 0 || o.interval < 0:
		return usagef("--count and --interval must not be negative")
	}
	roi, err := parseROI(o.roi)
	if err != nil {
		return err
	}
	opt, err := cameraOptions(runOptions{format: o.format, size: o.size, fps: o.fps})
	if err != nil {
		return err
	}
	var pre *camera.Preprocessor
	var inC, inH, inW int
	if o.as == "input" {
		m, name, err := loadModelOrInt8(o.model)
		if err != nil {
			return err
		}
		if pre, err = camera.NewPreprocessor(m.Input, camera.PreOptions{ROI: roi, Draft: o.draft}); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := checkDraft(o.draft, pre.Digit()); err != nil {
			return err
		}
		inC, inH, inW = m.Input.Channels, m.Input.Height, m.Input.Width
	}
	src, err := openSource(o.source, opt)
	if err != nil {
		return err
	}
	defer src.Close()
	info := src.Info()
	count := o.count
	if count == 0 && info.Live {
		count = 100
	}
	dir := filepath.Join(o.out, o.label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	next, err := nextNumber(dir)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stderr := cmd.ErrOrStderr()
	fmt.Fprintf(stderr, "edgecnn capture: %s -> %s (label %q, from %06d)\n", info.Name, dir, o.label, next)
	retry := camera.NewRetry(src, func() (camera.Source, error) { return openSource(o.source, opt) })
	var f camera.Frame
	saved, skipped := 0, 0
	var last time.Time
	wrote := func(path string) {
		last = time.Now()
		next++
		saved++
		if info.Live {
			fmt.Fprintf(stderr, "edgecnn capture: saved %s\n", path)
		}
	}
	for count == 0 || saved < count {
		if err := retry.Read(ctx, &f); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				break
			}
			if errors.Is(err, camera.ErrCorrupt) {
				skipped++
				continue
			}
			return err
		}
		if o.interval > 0 && time.Since(last) < o.interval {
			continue
		}
		var img image.Image
		if pre == nil && f.Format == camera.FormatMJPEG && roi.Empty() {
			// The JPEG as it came: no second lossy encoding.
			path := filepath.Join(dir, fmt.Sprintf("%06d.jpg", next))
			if err := atomicfile.WriteBytes(path, f.Data); err != nil {
				return err
			}
			wrote(path)
			continue
		}
		if pre != nil {
			in, err := pre.Process(&f)
			if err != nil {
				skipped++
				continue
			}
			if !in.Found {
				skipped++
				fmt.Fprintf(stderr, "edgecnn capture: %s: no digit found, not saved\n", f.Name)
				continue
			}
			img = planesImage(in.Pixels, inC, inH, inW)
		} else {
			full, err := camera.Image(&f)
			if err != nil {
				skipped++
				continue
			}
			img = full
			if !roi.Empty() {
				r := roi.Intersect(full.Bounds())
				if r.Empty() {
					return usagef("--roi %v lies outside the %dx%d frame", o.roi, full.Bounds().Dx(), full.Bounds().Dy())
				}
				crop := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
				draw.Draw(crop, crop.Bounds(), full, r.Min, draw.Src)
				img = crop
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("%06d.png", next))
		if err := atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
			return err
		}
		wrote(path)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "saved %d frames to %s (skipped %d)\n", saved, dir, skipped)
	return nil
}

// nextNumber returns the number after the highest NNNNNN.png or .jpg in
// dir.
func nextNumber(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	next := 0
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if ext != ".png" && ext != ".jpg" {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSuffix(name, ext)); err == nil && n >= next {
			next = n + 1
		}
	}
	return next, nil
}

// planesImage turns CHW pixels into a gray or RGB image.
func planesImage(pix []uint8, c, h, w int) image.Image {
	if c == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		copy(g.Pix, pix)
		return g
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	n := w * h
	for i := range n {
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = pix[i], pix[n+i], pix[2*n+i], 255
	}
	return m
}
