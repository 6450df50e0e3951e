package camera

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rpicam reads a Raspberry Pi camera (CSI, through libcamera) by running
// rpicam-vid (Raspberry Pi OS Bookworm; libcamera-vid on older systems)
// and reading raw I420 or MJPEG frames from its standard output.
type Rpicam struct {
	// FrameTimeout is how long Read waits for a frame before it stops the
	// program and reports the camera lost (3 s, as V4L2); StartTimeout
	// replaces it for the first frame, while libcamera starts the sensor
	// (10 s).
	FrameTimeout, StartTimeout time.Duration

	prog   string
	cmd    *exec.Cmd
	out    *os.File
	inner  Source
	stderr *tailWriter
	info   Info
	index  int
	waited chan struct{}
}

// OpenRpicam starts the camera program: opt.Format i420 (default: raw
// frames, no decoding) or mjpeg, opt.Width x opt.Height (default 640x480;
// keep the width a multiple of 64 for I420, which rpicam-vid pads rows to)
// at opt.FPS (default 30). opt.Command names the program; by default
// rpicam-vid, else libcamera-vid, found in PATH.
func OpenRpicam(opt Options) (Source, error) {
	prog := opt.Command
	if prog == "" {
		for _, p := range []string{"rpicam-vid", "libcamera-vid"} {
			if path, err := exec.LookPath(p); err == nil {
				prog = path
				break
			}
		}
		if prog == "" {
			return nil, errors.New("camera: rpicam: neither rpicam-vid nor libcamera-vid is installed (on Raspberry Pi OS: sudo apt install rpicam-apps); a USB camera is /dev/video0")
		}
	}
	w, h, fps := opt.Width, opt.Height, opt.FPS
	if w == 0 || h == 0 {
		w, h = 640, 480
	}
	if fps <= 0 {
		fps = 30
	}
	format, codec := opt.Format, "yuv420"
	switch format {
	case FormatUnknown, FormatI420:
		format = FormatI420
	case FormatMJPEG:
		codec = "mjpeg"
	default:
		return nil, fmt.Errorf("camera: rpicam: cannot deliver %s frames (want i420 or mjpeg)", format)
	}
	if _, err := FrameSize(FormatI420, w, h); err != nil {
		return nil, fmt.Errorf("camera: rpicam: %w", err)
	}
	args := []string{"-t", "0", "-n", "--codec", codec, "--width", strconv.Itoa(w), "--height", strconv.Itoa(h),
		"--framerate", strconv.FormatFloat(fps, 'f', -1, 64), "--flush", "-o", "-"}
	r := &Rpicam{FrameTimeout: 3 * time.Second, StartTimeout: 10 * time.Second,
		prog: prog, stderr: &tailWriter{max: 4096}, waited: make(chan struct{})}
	r.cmd = exec.Command(prog, args...)
	r.cmd.Stderr = r.stderr
	setDeathSignal(r.cmd)
	// A pipe of our own rather than StdoutPipe: Wait closes StdoutPipe's
	// read end when the program exits, which would drop the frames still
	// in the pipe; this one is read to its end, then closed by Close.
	out, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("camera: rpicam: %w", err)
	}
	r.cmd.Stdout = pw
	err = r.cmd.Start()
	pw.Close() // the program holds its own copy
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("camera: rpicam: %w", err)
	}
	go func() { r.cmd.Wait(); close(r.waited) }()
	r.out = out
	name := "rpicam"
	if format == FormatMJPEG {
		r.inner = NewMJPEGSource(name, out)
	} else {
		r.inner, _ = NewRawSource(name, out, FormatI420, w, h)
	}
	r.info = Info{Name: name + " (" + prog + ")", Live: true, Format: format, Width: w, Height: h, FPS: fps}
	return r, nil
}

func (r *Rpicam) Read(f *Frame) error {
	timeout := r.FrameTimeout
	if r.index == 0 {
		timeout = max(timeout, r.StartTimeout)
	}
	// Pipes are pollable: a read past the deadline fails with
	// os.ErrDeadlineExceeded instead of waiting for ever.
	r.out.SetReadDeadline(time.Now().Add(timeout))
	err := r.inner.Read(f)
	if err == nil {
		f.Index, f.Name = r.index, "rpicam"
		r.index++
		return nil
	}
	if errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrShortFrame) {
		return err
	}
	what := "stopped"
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// A program that hangs sends nothing and never exits.
		what = fmt.Sprintf("sent no frame for %v", timeout)
		r.cmd.Process.Kill()
	}
	// The program ended (or its output broke): the camera is lost. Wait
	// for it to exit so that its last words on stderr are in the error;
	// a loaded machine can take a while to reap it.
	select {
	case <-r.waited:
	case <-time.After(5 * time.Second):
	}
	msg := r.stderr.String()
	if msg == "" {
		msg = err.Error()
	}
	return fmt.Errorf("%s %s: %w: %s", r.prog, what, ErrLost, msg)
}

func (r *Rpicam) Info() Info { return r.info }

// Close stops the program.
func (r *Rpicam) Close() error {
	if r.cmd.Process != nil {
		r.cmd.Process.Kill()
	}
	r.out.Close()
	<-r.waited
	return nil
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// String returns the last lines written, on one line.
func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return strings.Join(lines, " | ")
}
