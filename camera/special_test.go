package camera

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/safefile/safefiletest"
)

// TestFolderSkipsSpecialFiles: a FIFO or a link to /dev/zero named like
// an image in a `run` folder used to hang the source or be read until
// memory ran out; the folder lists only its regular images.
func TestFolderSkipsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	safefiletest.Special(t, filepath.Join(dir, "a.jpg"), filepath.Join(dir, "b.png"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.jpg"), testJPEG(t, 32, 24, 80, false), 0o644))
	safefiletest.Within(t, 5*time.Second, func() {
		src, err := Open(dir, Options{})
		require.NoError(t, err)
		var f Frame
		require.NoError(t, src.Read(&f))
		require.Equal(t, filepath.Join(dir, "c.jpg"), f.Name)
		require.ErrorIs(t, src.Read(&f), io.EOF)
	})
	// A folder whose image is swapped for a FIFO after it was listed.
	src, err := NewFolder(dir)
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(dir, "c.jpg")))
	safefiletest.Special(t, filepath.Join(dir, "c.jpg"), "")
	safefiletest.Within(t, 5*time.Second, func() {
		var f Frame
		err := src.Read(&f)
		require.ErrorIs(t, err, ErrCorrupt)
		require.ErrorContains(t, err, "not a regular file but a FIFO")
	})
}

// TestFIFOSourceOpensAtOnceAndCloses: a FIFO source (another program's
// output) used to block the open until a writer came; it now opens at
// once, and closing the source ends a read waiting for frames.
func TestFIFOSourceOpensAtOnceAndCloses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "stream.mjpeg")
	safefiletest.Special(t, fifo, filepath.Join(dir, "zero.mjpeg"))
	var src Source
	safefiletest.Within(t, 5*time.Second, func() {
		var err error
		src, err = Open(fifo, Options{})
		require.NoError(t, err)
	})
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // a writer that sends nothing
	require.NoError(t, err)
	defer w.Close()
	done := make(chan error, 1)
	go func() { done <- src.Read(&Frame{}) }()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, src.Close())
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return after Close")
	}
	_, err = Open(filepath.Join(dir, "zero.mjpeg"), Options{})
	require.ErrorContains(t, err, "not a V4L2 device") // a character device is taken for a camera
}
