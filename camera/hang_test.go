package camera

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRpicamTimesOutAHungProgram: a camera program that stops sending
// frames without exiting used to block Read for ever (0 frames, no
// message). Read now gives up after FrameTimeout (StartTimeout for the
// first frame), stops the program and reports the camera lost.
func TestRpicamTimesOutAHungProgram(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs a POSIX shell")
	}
	syn, err := NewSynthetic(Options{Format: FormatI420, Width: 64, Height: 48})
	require.NoError(t, err)
	dir := t.TempDir()
	frames := filepath.Join(dir, "frames")
	require.NoError(t, os.WriteFile(frames, append(append([]byte{}, syn.frames[0]...), syn.frames[1]...), 0o644))
	hang := func(name, before string) string {
		prog := filepath.Join(dir, name)
		script := "#!/bin/sh\n" + before + "echo 'camera stalled' >&2\nexec sleep 60\n"
		require.NoError(t, os.WriteFile(prog, []byte(script), 0o755))
		return prog
	}
	for _, tc := range []struct {
		prog   string
		frames int
		want   string
	}{
		{hang("after-two", "cat "+frames+"\n"), 2, "sent no frame for 200ms"},
		{hang("at-once", ""), 0, "sent no frame for 400ms"},
	} {
		src, err := OpenRpicam(Options{Command: tc.prog, Width: 64, Height: 48})
		require.NoError(t, err)
		r := src.(*Rpicam)
		r.FrameTimeout, r.StartTimeout = 200*time.Millisecond, 400*time.Millisecond
		var f Frame
		for range tc.frames {
			require.NoError(t, src.Read(&f))
		}
		start := time.Now()
		err = src.Read(&f)
		require.ErrorIs(t, err, ErrLost)
		require.ErrorContains(t, err, tc.want)
		require.ErrorContains(t, err, "camera stalled")
		require.Less(t, time.Since(start), 3*time.Second)
		require.NoError(t, src.Close())
	}
}

// TestRetryBackOffDoesNotReset: a source lost after every frame used to be
// reopened after 250 ms each time, for ever; the wait now keeps doubling,
// and starts again only after a source has worked for Stable.
func TestRetryBackOffDoesNotReset(t *testing.T) {
	open := func() (Source, error) { return &flaky{n: 1}, nil }
	first, _ := open()
	r := NewRetry(first, open)
	r.Start, r.Max, r.Stable = time.Millisecond, 8*time.Millisecond, time.Hour
	var waits []time.Duration
	r.OnRetry = func(_ error, wait time.Duration) { waits = append(waits, wait) }
	var f Frame
	for range 6 {
		require.NoError(t, r.Read(context.Background(), &f))
	}
	ms := time.Millisecond
	require.Equal(t, []time.Duration{ms, 2 * ms, 4 * ms, 8 * ms, 8 * ms}, waits)

	r.Stable, waits = time.Nanosecond, nil // every source has worked long enough

	for range 3 {
		require.NoError(t, r.Read(context.Background(), &f))
	}
	require.Equal(t, []time.Duration{ms, ms, ms}, waits)
}
