// Package atomicfile writes files so that a reader sees either the old
// content or the whole new content, never a partial file, even across a
// crash or Ctrl-C.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Write creates path with the bytes write produces: into a temporary file in
// the same folder, synced, then renamed over path and the folder synced. On
// any error the temporary file is removed and path is untouched. An existing
// file keeps its permissions, a new one gets 0644; a symbolic link at path is
// replaced, not followed.
//
// The temporary file is named .BASE.tmp-PID-N. A process killed while
// writing (SIGKILL, power loss) leaves it behind; the next Write of path
// removes such files of processes that no longer run. Errors name path,
// not the temporary file.
func Write(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	perm := os.FileMode(0o644)
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
		perm = fi.Mode().Perm()
	}
	removeStale(dir, base)
	f, err := os.CreateTemp(dir, tempPrefix(base)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close() // a second Close after a failed one only reports os.ErrClosed
			os.Remove(f.Name())
			err = renamed(err, f.Name(), path)
		}
	}()
	if err = write(namedWriter{f, path}); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// tempPrefix is how the temporary files of path's base name begin.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// legacyStaleAge is how old a temporary file without a process id (as
// written before they had one) must be to count as left behind: no write
// takes that long.
const legacyStaleAge = 10 * time.Minute

// removeStale removes the temporary files of base in dir that a killed
// writer left behind: those of a process that no longer runs, and those
// without a process id older than legacyStaleAge. Failures are ignored:
// the write goes on.
func removeStale(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		name := filepath.Join(dir, e.Name())
		pid, _, withPID := strings.Cut(rest, "-")
		switch n, err := strconv.Atoi(pid); {
		case err != nil || n <= 0:
			continue // not ours
		case withPID:
			if n != os.Getpid() && !processRuns(n) {
				os.Remove(name)
			}
		default: // .BASE.tmp-N
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > legacyStaleAge {
				os.Remove(name)
			}
		}
	}
}

// namedWriter writes to the temporary file f, reporting errors under the
// name of the file being written.
type namedWriter struct {
	f    *os.File
	path string
}

func (w namedWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	return n, renamed(err, w.f.Name(), w.path)
}

// renamed returns err with the temporary file's name replaced by path:
// "write out.bin: no space left on device", not the name of a hidden file
// that no longer exists.
func renamed(err error, temp, path string) error {
	switch e := err.(type) {
	case *os.PathError:
		if e.Path == temp {
			return &os.PathError{Op: e.Op, Path: path, Err: e.Err}
		}
	case *os.LinkError:
		if e.Old == temp {
			return &os.PathError{Op: "rename", Path: path, Err: e.Err}
		}
	}
	return err
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
