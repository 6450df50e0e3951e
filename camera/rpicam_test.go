package camera

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// standIn writes a shell script that plays rpicam-vid: it records its
// arguments, writes the frames file to stdout and exits with a message.
func standIn(t *testing.T, frames []byte) (prog, argsFile string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs a POSIX shell")
	}
	dir := t.TempDir()
	framesFile := filepath.Join(dir, "frames")
	require.NoError(t, os.WriteFile(framesFile, frames, 0o644))
	argsFile = filepath.Join(dir, "args")
	prog = filepath.Join(dir, "rpicam-vid")
	script := "#!/bin/sh\necho \"$@\" > " + argsFile + "\ncat " + framesFile + "\necho 'ERROR: *** no cameras available ***' >&2\nexit 1\n"
	require.NoError(t, os.WriteFile(prog, []byte(script), 0o755))
	return prog, argsFile
}

func TestRpicamReadsI420FromAStandIn(t *testing.T) {
	syn, err := NewSynthetic(Options{Format: FormatI420, Width: 128, Height: 96})
	require.NoError(t, err)
	var frames []byte
	for _, f := range syn.frames[:5] {
		frames = append(frames, f...)
	}
	prog, argsFile := standIn(t, frames)
	src, err := OpenRpicam(Options{Command: prog, Width: 128, Height: 96, FPS: 15})
	require.NoError(t, err)
	require.True(t, src.Info().Live)
	var f Frame
	for i := range 5 {
		require.NoError(t, src.Read(&f))
		require.Equal(t, FormatI420, f.Format)
		require.Equal(t, syn.frames[i], f.Data)
		require.Equal(t, i, f.Index)
	}
	err = src.Read(&f)
	require.ErrorIs(t, err, ErrLost)
	require.ErrorContains(t, err, "no cameras available")
	require.NoError(t, src.Close())
	args, err := os.ReadFile(argsFile)
	require.NoError(t, err)
	require.Equal(t, "-t 0 -n --codec yuv420 --width 128 --height 96 --framerate 15 --flush -o -", strings.TrimSpace(string(args)))
}

func TestRpicamMJPEGAndRetry(t *testing.T) {
	jpg := testJPEG(t, 64, 48, 80, false)
	prog, argsFile := standIn(t, append(append([]byte{}, jpg...), jpg...))
	opened := 0
	open := func() (Source, error) {
		opened++
		return OpenRpicam(Options{Command: prog, Format: FormatMJPEG})
	}
	first, err := open()
	require.NoError(t, err)
	r := NewRetry(first, open)
	var f Frame
	for range 3 { // two frames, the program exits, it is started again
		require.NoError(t, r.Read(t.Context(), &f))
		require.Equal(t, jpg, f.Data)
	}
	require.Equal(t, 2, opened)
	require.NoError(t, r.Close())
	args, _ := os.ReadFile(argsFile)
	require.Contains(t, string(args), "--codec mjpeg --width 640 --height 480 --framerate 30")

	_, err = OpenRpicam(Options{Command: filepath.Join(t.TempDir(), "missing")})
	require.Error(t, err)
	_, err = OpenRpicam(Options{Command: prog, Format: FormatYUYV})
	require.ErrorContains(t, err, "i420 or mjpeg")
	t.Setenv("PATH", t.TempDir())
	_, err = Open("rpicam", Options{})
	require.ErrorContains(t, err, "neither rpicam-vid nor libcamera-vid")
	require.False(t, errors.Is(err, ErrLost))
}
