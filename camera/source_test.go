package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

func readFrames(t *testing.T, src Source) (names []string, corrupt int) {
	t.Helper()
	var f Frame
	for {
		err := src.Read(&f)
		if errors.Is(err, io.EOF) {
			return names, corrupt
		}
		if errors.Is(err, ErrCorrupt) {
			corrupt++
			continue
		}
		require.NoError(t, err)
		names = append(names, f.Name)
	}
}

func TestOpenPicksTheSourceByName(t *testing.T) {
	dir := t.TempDir()
	a := testJPEG(t, 64, 48, 80, false)
	writeFile(t, filepath.Join(dir, "imgs", "b.jpg"), a)
	writeFile(t, filepath.Join(dir, "imgs", "a.JPEG"), a)
	writeFile(t, filepath.Join(dir, "imgs", ".hidden.jpg"), a)
	writeFile(t, filepath.Join(dir, "imgs", "notes.txt"), []byte("x"))
	writeFile(t, filepath.Join(dir, "imgs", "c.jpg"), []byte("not a jpeg"))
	g := image.NewGray(image.Rect(0, 0, 8, 6))
	g.SetGray(1, 1, color.Gray{200})
	pf, err := os.Create(filepath.Join(dir, "imgs", "d.png"))
	require.NoError(t, err)
	require.NoError(t, png.Encode(pf, g))
	pf.Close()
	writeFile(t, filepath.Join(dir, "clip.mjpeg"), append(append([]byte{}, a...), a...))
	writeFile(t, filepath.Join(dir, "raw.yuyv"), make([]byte, 3*8*4*2))

	src, err := Open(filepath.Join(dir, "imgs"), Options{})
	require.NoError(t, err)
	names, corrupt := readFrames(t, src)
	require.Equal(t, []string{"a.JPEG", "b.jpg", "d.png"}, []string{filepath.Base(names[0]), filepath.Base(names[1]), filepath.Base(names[2])})
	require.Len(t, names, 3)
	require.Equal(t, 1, corrupt, "c.jpg does not decode as PNG either")

	src, err = Open(filepath.Join(dir, "clip.mjpeg"), Options{})
	require.NoError(t, err)
	names, _ = readFrames(t, src)
	require.Equal(t, []string{filepath.Join(dir, "clip.mjpeg") + "#0", filepath.Join(dir, "clip.mjpeg") + "#1"}, names)
	require.False(t, src.Info().Live)

	src, err = Open(filepath.Join(dir, "raw.yuyv"), Options{Width: 8, Height: 4})
	require.NoError(t, err)
	names, _ = readFrames(t, src)
	require.Len(t, names, 3)

	_, err = Open(filepath.Join(dir, "raw.yuyv"), Options{})
	require.ErrorContains(t, err, "need a size")
	_, err = Open(filepath.Join(dir, "missing.mjpeg"), Options{})
	require.ErrorContains(t, err, "no such file")

	src, err = Open(filepath.Join(dir, "imgs", "b.jpg"), Options{Loop: true})
	require.NoError(t, err)
	var f Frame
	for i := range 5 {
		require.NoError(t, src.Read(&f))
		require.Equal(t, i, f.Index, "looping numbers frames on")
	}
}

func TestPacedSource(t *testing.T) {
	src, err := Open("synthetic", Options{Width: 64, Height: 48, FPS: 100})
	require.NoError(t, err)
	require.True(t, src.Info().Live)
	var f Frame
	start := time.Now()
	for range 6 {
		require.NoError(t, src.Read(&f))
	}
	require.GreaterOrEqual(t, time.Since(start), 45*time.Millisecond)
	_, err = NewSynthetic(Options{Format: FormatMJPEG})
	require.ErrorContains(t, err, "gray, yuyv or i420")
}

// flaky is a live source that is lost after every n frames.
type flaky struct {
	n, read int
	opened  *int
}

func (s *flaky) Read(f *Frame) error {
	if s.read == s.n {
		return fmt.Errorf("read: %w", ErrLost)
	}
	s.read++
	f.Format, f.Width, f.Height, f.Data = FormatGray, 1, 1, []byte{byte(s.read)}
	return nil
}
func (s *flaky) Info() Info   { return Info{Name: "flaky", Live: true} }
func (s *flaky) Close() error { return nil }

func TestRetryReopensALostCamera(t *testing.T) {
	opened := 0
	open := func() (Source, error) {
		opened++
		if opened == 2 {
			return nil, errors.New("no such device") // still unplugged
		}
		return &flaky{n: 2}, nil
	}
	first, _ := open()
	r := NewRetry(first, open)
	var waits []time.Duration
	r.OnRetry = func(err error, wait time.Duration) { waits = append(waits, wait) }
	var f Frame
	for range 4 { // two frames, lost, cannot open, opens, two frames
		require.NoError(t, r.Read(context.Background(), &f))
	}
	require.Equal(t, 3, opened)
	require.Equal(t, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}, waits)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, r.Read(ctx, &f), context.Canceled)
}

func TestGrabberNewestAndEvery(t *testing.T) {
	for _, every := range []bool{false, true} {
		n := 0
		var mu sync.Mutex
		read := func(f *Frame) error {
			mu.Lock()
			defer mu.Unlock()
			if n == 200 {
				return io.EOF
			}
			n++
			if n%50 == 0 {
				return fmt.Errorf("frame %d: %w", n, ErrCorrupt)
			}
			f.Format, f.Width, f.Height = FormatGray, 1, 1
			f.Data = append(f.Data[:0], byte(n))
			f.Index = n
			return nil
		}
		skipped := 0
		g := NewGrabber(context.Background(), read, every, func(error) { skipped++ })
		var f *Frame
		var err error
		got, last := 0, 0
		for {
			f, err = g.Next(f)
			if err != nil {
				break
			}
			require.Greater(t, f.Index, last, "frames come in order")
			last = f.Index
			got++
			time.Sleep(20 * time.Microsecond) // a slow classifier
		}
		require.ErrorIs(t, err, io.EOF)
		g.Wait()
		st := g.Stats()
		require.Equal(t, 4, st.Corrupt)
		require.Equal(t, 4, skipped)
		require.Equal(t, 196, st.Read)
		require.Equal(t, st.Read, got+st.Dropped)
		if every {
			require.Zero(t, st.Dropped)
		}
	}
}

func TestGrabberStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src, err := NewSynthetic(Options{Width: 32, Height: 32, FPS: 1000})
	require.NoError(t, err)
	g := NewGrabber(ctx, src.Read, false, nil)
	f, err := g.Next(nil)
	require.NoError(t, err)
	require.Equal(t, 32, f.Width)
	cancel()
	_, err = g.Next(f)
	require.ErrorIs(t, err, context.Canceled)
	g.Wait()
}
