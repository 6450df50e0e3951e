package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/safefile/safefiletest"
)

// specialFiles makes, in a new folder, a FIFO nobody writes to, a symbolic
// link to /dev/zero, a folder and a small regular file.
func specialFiles(t *testing.T) (dir string) {
	dir = t.TempDir()
	safefiletest.Special(t, filepath.Join(dir, "fifo.jpg"), filepath.Join(dir, "zero.jpg"))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "dir.jpg"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ok.jpg"), []byte("12345"), 0o644))
	require.NoError(t, os.Symlink("ok.jpg", filepath.Join(dir, "link.jpg")))
	return dir
}

// TestSpecialFilesAreRefusedAtOnce: a FIFO without a writer used to block
// the open for ever, and /dev/zero was read until memory ran out.
func TestSpecialFilesAreRefusedAtOnce(t *testing.T) {
	dir := specialFiles(t)
	for name, kind := range map[string]string{"fifo.jpg": "a FIFO", "zero.jpg": "a device", "dir.jpg": "a directory"} {
		path := filepath.Join(dir, name)
		start := time.Now()
		_, err := ReadFile(path, 1<<20)
		require.ErrorIs(t, err, ErrNotRegular, name)
		require.EqualError(t, err, "open "+path+": not a regular file but "+kind)
		require.Less(t, time.Since(start), time.Second, name)
		require.False(t, IsRegular(path), name)
	}
	for _, name := range []string{"ok.jpg", "link.jpg"} {
		data, err := ReadFile(filepath.Join(dir, name), 5)
		require.NoError(t, err)
		require.Equal(t, "12345", string(data))
		require.True(t, IsRegular(filepath.Join(dir, name)))
	}
	_, err := ReadFile(filepath.Join(dir, "ok.jpg"), 4)
	require.EqualError(t, err, "read "+filepath.Join(dir, "ok.jpg")+": 5 bytes, more than the 4 this file may hold")
	_, err = ReadFile(filepath.Join(dir, "missing"), 4)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestFIFOReadsCanBeInterrupted: a FIFO opened by Open (a camera stream
// from another program) does not block the open, and a read waiting for
// data returns when the file is closed.
func TestFIFOReadsCanBeInterrupted(t *testing.T) {
	dir := specialFiles(t)
	f, err := Open(filepath.Join(dir, "fifo.jpg"))
	require.NoError(t, err)
	w, err := os.OpenFile(filepath.Join(dir, "fifo.jpg"), os.O_WRONLY, 0) // a writer that sends nothing
	require.NoError(t, err)
	defer w.Close()
	done := make(chan error, 1)
	go func() {
		_, err := f.Read(make([]byte, 1))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, f.Close())
	select {
	case err := <-done:
		require.True(t, errors.Is(err, os.ErrClosed), "%v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the read did not return after Close")
	}
}
