// Package safefile opens the files users name (models, datasets, images,
// checkpoints, camera streams) so that a special file cannot hang or
// exhaust the program: what is read whole must be a regular file of a
// bounded size, and no open waits (a FIFO without a writer would block
// open(2) for ever, out of reach of Ctrl-C). The kind of file is checked
// on the open descriptor, not on the name, so a file swapped after a
// check is still caught.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
)

// ErrNotRegular marks a path that is not a regular file (a device, FIFO,
// socket or folder) where one is required.
var ErrNotRegular = errors.New("not a regular file")

// Open opens path for reading without waiting: on Unix with O_NONBLOCK,
// so that a FIFO opens at once whether or not a writer has it open; reads
// from such a FIFO then go through the runtime's poller, and Close or a
// deadline interrupts them. Open does not check what path is: see Kind.
func Open(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
}

// OpenRegular opens path for reading if it is a regular file (following
// symbolic links), and fails with an error wrapping ErrNotRegular, naming
// the kind of file, otherwise.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w but %s", ErrNotRegular, Kind(fi.Mode()))}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// ReadFile reads the regular file at path whole, if it holds at most max
// bytes; what is read is what the file held when it was opened (a file
// that grows meanwhile is an error, not an endless read).
func ReadFile(path string, max int64) ([]byte, error) {
	f, fi, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > max || fi.Size() >= math.MaxInt { // a 32-bit int cannot hold more
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%d bytes, more than the %d this file may hold", fi.Size(), max)}
	}
	data := make([]byte, fi.Size()+1) // one more byte to notice growth
	n, err := io.ReadFull(f, data)
	switch {
	case err == nil:
		return nil, &fs.PathError{Op: "read", Path: path, Err: errors.New("the file grew while it was read")}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return data[:n:n], nil
	}
	return nil, err
}

// Kind names the kind of file mode describes: "a directory", "a FIFO",
// "a device", "a socket", "a symbolic link" or "an irregular file".
func Kind(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return "a regular file"
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "an irregular file"
}

// IsRegular reports whether path names a regular file, following a
// symbolic link: what a folder listing keeps.
func IsRegular(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
