package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/camera"
	"github.com/edgecnn/edgecnn/camera/sample"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

// runOptions are the flags of `edgecnn run`.
type runOptions struct {
	model, source, format, size, roi, web string
	saveInputs                            string
	fps                                   float64
	asJSON, every, loop, generic, draft   bool
	top, smooth, threads, limit           int
	gpio                                  []string
	webAllow                              hostNames
	maxMemory                             memoryLimit
	outputOptions
}

func runCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Classify camera frames: a V4L2 or Pi camera, image files, folders, streams",
		Long: `Run reads frames from a source, prepares each as the model's input contract says
(the MNIST-style digit path for digit models) and classifies it.

With no flags it classifies an embedded sample clip (camera-like photos of
handwritten digits) with the embedded int8 LeNet-5. Without --model any source
is classified with that model.

Sources:
  /dev/video0             a USB (V4L2) camera, YUYV or MJPEG (--format, --size, --fps)
  rpicam                  a Raspberry Pi camera through rpicam-vid (or libcamera-vid)
  DIR                     the .jpg/.jpeg/.png images of a folder, in name order
  FILE.jpg, FILE.png      one image
  FILE.mjpeg              a stream of concatenated JPEGs
  FILE.yuv, FILE.i420, FILE.yuyv   raw frames (--size WxH; --format where the name does not tell)
  synthetic               generated frames (for tests and measurements)
  -                       standard input (MJPEG, or raw with --format and --size)

Cameras deliver the newest frame (stale frames are dropped and counted); files
are classified frame by frame (--every=false to drop like a camera). A lost
camera is reopened with back-off. Ctrl-C stops and prints a summary.`,
		Example: `  edgecnn run                                     # the embedded clip and model
  edgecnn run --source /dev/video0 --web 127.0.0.1:8080
  edgecnn run --source rpicam --size 640x480 --fps 30 --gpio GPIO17=7:0.8
  edgecnn run --source frames.i420 --size 640x480 --json
  edgecnn run --model my.int8.safetensors --source photos/ --json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if o.config != "" {
				if err := applyConfig(f, o.config); err != nil {
					return err
				}
			}
			return runRun(cmd, o, f.Changed("every"), f.Changed("loop"), f.Changed("fps"))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "model file (default: the embedded int8 LeNet-5)")
	f.StringVar(&o.source, "source", "", "frame source, see above (default: the embedded sample clip)")
	f.StringVar(&o.format, "format", "", "frame format: yuyv, i420, mjpeg (raw files, stdin, cameras)")
	f.StringVar(&o.size, "size", "", "frame size WxH (raw files; the size to ask a camera for)")
	f.Float64Var(&o.fps, "fps", 0, "frame rate to ask a camera for; files are paced to it (default: as fast as possible, 10 with --web)")
	f.StringVar(&o.roi, "roi", "", "region of interest X,Y,W,H in frame pixels (default: the whole frame)")
	f.BoolVar(&o.asJSON, "json", false, `print one JSON object per frame: "frame", "file", "label", "prob", "top", "latency_ms", "fps", ...`)
	f.BoolVar(&o.every, "every", false, "classify every frame instead of the newest (default: on for files, off for cameras)")
	f.BoolVar(&o.loop, "loop", false, "repeat file sources (default: on with --web)")
	f.IntVar(&o.top, "top", 3, "how many classes to report per frame")
	f.IntVar(&o.smooth, "smooth", 1, "average the class probabilities over the last N frames")
	f.IntVar(&o.threads, "threads", 0, "inference threads (default: all cores; layers too small to be worth sharing run on one)")
	f.IntVar(&o.limit, "limit", 0, "stop after N frames")
	f.BoolVar(&o.generic, "generic", false, "use the image path (resize and crop) even for a digit model")
	f.BoolVar(&o.draft, "draft", false, draftUsage)
	f.StringVar(&o.saveInputs, "save-inputs", "", "write each frame as the model saw it to this folder (PNG), to debug a camera setup")
	f.StringVar(&o.web, "web", "", "serve a live preview page on HOST:PORT, e.g. 0.0.0.0:8080 (a bare --web is 127.0.0.1:8080; PORT or :PORT binds 127.0.0.1)")
	f.Var(&o.webAllow, "web-allow", "also serve the page to browsers that reach it by these host names (e.g. a DNS name or a proxy's; default: loopback, the bound address, and with 0.0.0.0 the host's addresses and NAME.local; * allows any)")
	addMemoryFlag(f, &o.maxMemory)
	o.outputOptions.addFlags(f)
	f.StringArrayVar(&o.gpio, "gpio", nil, "drive PIN high while LABEL is seen with probability >= THRESHOLD (PIN=LABEL[:THRESHOLD], default 0.5; repeatable; Raspberry Pi)")
	return cmd
}

// maxSmooth bounds --smooth: 1000 frames is half a minute of camera.
const maxSmooth = 1000

// topEntry is one class and its probability.
type topEntry struct {
	Label string  `json:"label"`
	Prob  float64 `json:"prob"`
}

// stageMS is the time spent per stage, in milliseconds.
type stageMS struct {
	Decode     float64 `json:"decode"`
	Preprocess float64 `json:"preprocess"`
	Infer      float64 `json:"infer"`
	Total      float64 `json:"total"`
}

// result is one classified frame: a --json line, and the web page's state.
type result struct {
	Frame   int        `json:"frame"`
	File    string     `json:"file,omitempty"`
	Label   string     `json:"label"`
	Prob    float64    `json:"prob"`
	Top     []topEntry `json:"top"`
	Found   bool       `json:"found"`
	Box     []int      `json:"box,omitempty"` // x0, y0, x1, y1 in frame pixels
	Width   int        `json:"width"`
	Height  int        `json:"height"`
	Latency stageMS    `json:"latency_ms"`
	FPS     float64    `json:"fps"`
	Dropped int        `json:"dropped"`
	Version int        `json:"version,omitempty"` // web only
}

// runStats accumulates the summary.
type runStats struct {
	start                 time.Time
	frames, notFound      int
	skipped               int // frames that did not decode
	decode, pre, inf, tot time.Duration
	labels                map[string]int
}

// parseSize reads WxH.
func parseSize(s string) (w, h int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > camera.MaxDim || h > camera.MaxDim {
		return 0, 0, usagef("--size %q: want WIDTHxHEIGHT, e.g. 640x480", s)
	}
	return w, h, nil
}

// parseROI reads X,Y,W,H.
func parseROI(s string) (image.Rectangle, error) {
	if s == "" {
		return image.Rectangle{}, nil
	}
	parts := strings.Split(s, ",")
	var v [4]int
	if len(parts) != 4 {
		return image.Rectangle{}, usagef("--roi %q: want X,Y,W,H", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 || (i >= 2 && n < 4) {
			return image.Rectangle{}, usagef("--roi %q: want X,Y,W,H with X,Y >= 0 and W,H >= 4", s)
		}
		v[i] = n
	}
	return image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3]), nil
}

// cameraOptions turns the source flags into camera.Options.
func cameraOptions(o runOptions) (camera.Options, error) {
	var opt camera.Options
	if o.format != "" {
		f, err := camera.ParseFormat(o.format)
		if err != nil {
			return opt, usagef("--format: %v", err)
		}
		opt.Format = f
	}
	w, h, err := parseSize(o.size)
	if err != nil {
		return opt, err
	}
	if o.fps != 0 && camera.CheckFPS(o.fps) != nil {
		return opt, usagef("--fps %v: want a rate from %v to %v frames a second", o.fps, camera.MinFPS, camera.MaxFPS)
	}
	opt.Width, opt.Height, opt.FPS, opt.Loop = w, h, o.fps, o.loop
	return opt, nil
}

// openSource opens the --source, or the embedded clip.
func openSource(spec string, opt camera.Options) (camera.Source, error) {
	if spec == "" {
		opt.Format = camera.FormatMJPEG
		return camera.OpenReader(sample.Name, bytes.NewReader(sample.Clip()), opt)
	}
	src, err := camera.Open(spec, opt)
	if err != nil {
		return nil, fmt.Errorf("--source %s: %w", spec, err)
	}
	return src, nil
}

func runRun(cmd *cobra.Command, o runOptions, everySet, loopSet, fpsSet bool) error {
	if o.top < 1 || o.limit < 0 {
		return usagef("--top must be at least 1, --limit not negative")
	}
	if o.smooth < 1 || o.smooth > maxSmooth {
		return usagef("--smooth %d: want 1 to %d frames", o.smooth, maxSmooth)
	}
	if err := checkThreads(o.threads); err != nil {
		return err
	}
	roi, err := parseROI(o.roi)
	if err != nil {
		return err
	}
	if o.web != "" {
		if _, err := listenAddr("--web", o.web); err != nil {
			return err
		}
	}
	if err := o.outputOptions.check(); err != nil {
		return err
	}
	opt, err := cameraOptions(o)
	if err != nil {
		return err
	}
	m, modelName, err := loadModelOrInt8(o.model)
	if err != nil {
		return err
	}
	e, err := engine.New(m, engine.Options{Threads: o.threads, MaxMemory: int64(o.maxMemory)})
	if err != nil {
		return fmt.Errorf("%s: %w", modelName, err)
	}
	pre, err := camera.NewPreprocessor(m.Input, camera.PreOptions{ROI: roi, Generic: o.generic, Draft: o.draft})
	if err != nil {
		return fmt.Errorf("%s: %w", modelName, err)
	}
	if err := checkDraft(o.draft, pre.Digit()); err != nil {
		return err
	}
	var rules []*gpioRule
	for _, g := range o.gpio {
		r, err := parseGPIO(g, m.Labels)
		if err != nil {
			return err
		}
		rules = append(rules, r)
	}
	if o.web != "" {
		if !loopSet {
			opt.Loop = true
		}
		if !fpsSet {
			opt.FPS = 10
		}
	}
	src, err := openSource(o.source, opt)
	if err != nil {
		return err
	}
	info := src.Info()
	every := !info.Live
	if everySet {
		every = o.every
	}
	if err := openGPIO(rules); err != nil {
		src.Close()
		return err
	}
	defer func() {
		for _, r := range rules {
			r.release()
		}
	}()

	stderr := cmd.ErrOrStderr()
	kind := "float32"
	if m.Quantized() {
		kind = "int8"
	}
	fmt.Fprintf(stderr, "edgecnn run: model %s (%s, %s, %v input, %s preprocessing); source %s; board %s; kernels %s, %d threads\n",
		modelName, m.Arch, kind, m.Input.Shape(), pre.Describe(), info.Name, boardName(), kernels.Path(), e.Threads())
	if o.saveInputs != "" {
		if err := os.MkdirAll(o.saveInputs, 0o755); err != nil {
			src.Close()
			return fmt.Errorf("--save-inputs: %w", err)
		}
	}

	// Ctrl-C is handled from here on: the preview's address is announced
	// below, and an interrupt right after it must still shut down cleanly.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var web *preview
	if o.web != "" {
		if web, err = startPreview(o.web, o.webAllow); err != nil {
			src.Close()
			return err
		}
		defer web.close()
		web.about.Model, web.about.Source, web.about.Board, web.about.Kernels = modelName, info.Name, boardName(), kernels.Path()
		fmt.Fprintf(stderr, "edgecnn run: live preview on %s\n", web.URL())
	}
	outs, err := startOutputs(o.outputOptions, runInfo{model: modelName, kernels: kernels.Path(), board: boardName(), source: info.Name}, stderr)
	if err != nil {
		src.Close()
		return err
	}
	defer outs.close()

	retry := camera.NewRetry(src, func() (camera.Source, error) { return openSource(o.source, opt) })
	retry.OnRetry = func(err error, wait time.Duration) {
		fmt.Fprintf(stderr, "edgecnn run: %v; retrying in %v\n", err, wait)
	}
	skips := 0
	grab := camera.NewGrabber(ctx, func(f *camera.Frame) error { return retry.Read(ctx, f) }, every, func(err error) {
		if skips++; skips <= 10 {
			fmt.Fprintf(stderr, "edgecnn run: skipped: %v\n", err)
		}
	})
	defer func() {
		grab.Stop()
		select {
		case <-grabExited(grab):
			retry.Close()
		case <-time.After(3 * time.Second): // a read that does not return
		}
	}()

	out := bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10)
	defer out.Flush()
	lastFlush := time.Now()
	st := &runStats{start: time.Now(), labels: map[string]int{}}
	probs := make([]float32, len(m.Labels))
	smooth := newSmoother(o.smooth, len(m.Labels))
	var rate fpsMeter
	var frame *camera.Frame
	res := &result{}
	for o.limit == 0 || st.frames < o.limit {
		frame, err = grab.Next(frame)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
				break
			}
			out.Flush()
			printSummary(stderr, st, grab.Stats())
			return err
		}
		t0 := time.Now()
		in, err := pre.Process(frame)
		if err != nil {
			st.skipped++
			outs.skip()
			if st.skipped <= 10 {
				fmt.Fprintf(stderr, "edgecnn run: skipped %s: %v\n", frame.Name, err)
			}
			continue
		}
		*res = result{Frame: frame.Index, Found: in.Found, Width: in.Width, Height: in.Height}
		if !info.Live {
			res.File = frame.Name
		}
		var inferTime time.Duration
		if in.Found {
			t1 := time.Now()
			logits, err := e.Infer(in.Pixels, 1)
			if err != nil {
				return err
			}
			if last := m.Nodes[len(m.Nodes)-1]; last.Op == nn.OpSoftmax {
				copy(probs, logits)
			} else {
				engine.Softmax(probs, logits)
			}
			inferTime = time.Since(t1)
		} else {
			clear(probs)
		}
		avg := smooth.add(probs)
		res.Top = topK(res.Top[:0], avg, m.Labels, o.top)
		if in.Found || o.smooth > 1 {
			res.Label, res.Prob = res.Top[0].Label, res.Top[0].Prob
		}
		if in.Found {
			b := in.Box
			res.Box = []int{b.Min.X, b.Min.Y, b.Max.X, b.Max.Y}
		}
		total := time.Since(t0) // decode, preprocess and inference
		res.Latency = stageMS{Decode: ms(in.Decode), Preprocess: ms(in.Preprocess), Infer: ms(inferTime), Total: ms(total)}
		res.FPS = round(rate.tick(time.Now()), 10)
		res.Dropped = grab.Stats().Dropped
		st.frames++
		st.decode += in.Decode
		st.pre += in.Preprocess
		st.inf += inferTime
		st.tot += total
		if in.Found {
			st.labels[res.Label]++
		} else {
			st.notFound++
		}
		outs.observe(res)
		switch {
		case !outs.printDue(time.Now()): // --quiet, or --log-every not yet due
		case o.asJSON:
			data, _ := json.Marshal(res)
			out.Write(append(data, '\n'))
		default:
			printResult(out, res)
		}
		if info.Live || time.Since(lastFlush) > 200*time.Millisecond {
			out.Flush()
			lastFlush = time.Now()
		}
		for _, r := range rules {
			if err := r.update(res.Label, res.Prob); err != nil {
				return err
			}
		}
		if web != nil {
			web.publish(frame, in, res, m.Input.Channels, m.Input.Height, m.Input.Width, !info.Live && !every)
		}
		if o.saveInputs != "" {
			name := fmt.Sprintf("%06d", st.frames-1)
			if !info.Live {
				name += "_" + trimExt(filepath.Base(frame.Name))
			}
			if err := writeInputPNG(filepath.Join(o.saveInputs, safeName(name)+".png"), in.Pixels, pre.Input()); err != nil {
				return fmt.Errorf("--save-inputs: %w", err)
			}
		}
	}
	out.Flush()
	printSummary(stderr, st, grab.Stats())
	return nil
}

// grabExited returns a channel closed when the grabber's goroutine ended.
func grabExited(g *camera.Grabber) <-chan struct{} {
	ch := make(chan struct{})
	go func() { g.Wait(); close(ch) }()
	return ch
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// round rounds v to a multiple of 1/scale.
func round(v, scale float64) float64 { return math.Round(v*scale) / scale }

// topK appends the k most probable classes to dst, most probable first.
func topK(dst []topEntry, probs []float32, labels []string, k int) []topEntry {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case probs[a] > probs[b]:
			return -1
		case probs[a] < probs[b]:
			return 1
		}
		return 0
	})
	for _, i := range idx[:min(k, len(idx))] {
		dst = append(dst, topEntry{Label: labels[i], Prob: round(float64(probs[i]), 1e6)})
	}
	return dst
}

// smoother averages probability vectors over the last n frames.
type smoother struct {
	ring [][]float32
	next int
	full bool
	avg  []float32
}

func newSmoother(n, classes int) *smoother {
	s := &smoother{ring: make([][]float32, n), avg: make([]float32, classes)}
	for i := range s.ring {
		s.ring[i] = make([]float32, classes)
	}
	return s
}

func (s *smoother) add(p []float32) []float32 {
	copy(s.ring[s.next], p)
	s.next++
	if s.next == len(s.ring) {
		s.next, s.full = 0, true
	}
	n := s.next
	if s.full {
		n = len(s.ring)
	}
	clear(s.avg)
	for _, r := range s.ring[:n] {
		for i, v := range r {
			s.avg[i] += v
		}
	}
	for i := range s.avg {
		s.avg[i] /= float32(n)
	}
	return s.avg
}

// fpsMeter measures the rate of the last up to 64 frames.
type fpsMeter struct {
	times [64]time.Time
	n     int
}

func (f *fpsMeter) tick(now time.Time) float64 {
	f.times[f.n%len(f.times)] = now
	f.n++
	k := min(f.n, len(f.times))
	if k < 2 {
		return 0
	}
	oldest := f.times[(f.n-k)%len(f.times)]
	dt := now.Sub(oldest).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(k-1) / dt
}

func printResult(w io.Writer, r *result) {
	name := r.File
	if name == "" {
		name = "frame"
	}
	if !r.Found && r.Label == "" {
		fmt.Fprintf(w, "%5d %s: no digit\n", r.Frame, name)
		return
	}
	var b strings.Builder
	for _, t := range r.Top[1:] {
		fmt.Fprintf(&b, "  %s %.1f%%", t.Label, 100*t.Prob)
	}
	fmt.Fprintf(w, "%5d %s: %s %5.1f%%%s | decode %.2f pre %.2f infer %.2f ms | %.0f fps\n",
		r.Frame, name, r.Label, 100*r.Prob, b.String(), r.Latency.Decode, r.Latency.Preprocess, r.Latency.Infer, r.FPS)
}

func printSummary(w io.Writer, st *runStats, gs camera.GrabStats) {
	el := time.Since(st.start).Seconds()
	fmt.Fprintf(w, "edgecnn run: %d frames classified in %.2f s (%.1f fps); no digit %d, dropped %d, corrupt %d\n",
		st.frames, el, float64(st.frames)/max(el, 1e-9), st.notFound, gs.Dropped, gs.Corrupt+st.skipped)
	if st.frames == 0 {
		return
	}
	n := float64(st.frames)
	fmt.Fprintf(w, "  mean latency: decode %.2f ms, preprocess %.2f ms, infer %.2f ms, total %.2f ms\n",
		ms(st.decode)/n, ms(st.pre)/n, ms(st.inf)/n, ms(st.tot)/n)
	labels := make([]string, 0, len(st.labels))
	for l := range st.labels {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	var b strings.Builder
	for _, l := range labels {
		fmt.Fprintf(&b, " %s:%d", l, st.labels[l])
	}
	if b.Len() > 0 {
		fmt.Fprintf(w, "  labels:%s\n", b.String())
	}
}
