package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgecnn/edgecnn/internal/safefile"
)

// CIFAR-10 binary records: one label byte, then a 32x32 image as 1024 red,
// 1024 green and 1024 blue bytes (already CHW).
const (
	cifarSize   = 32
	cifarPixels = 3 * cifarSize * cifarSize
	cifarRecord = 1 + cifarPixels
)

// cifar10URL is where the binary CIFAR-10 distribution is published.
const cifar10URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"

// cifar10Classes are the CIFAR-10 class names, used when the folder has no
// batches.meta.txt.
var cifar10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// LoadCIFAR10 reads CIFAR-10 in its binary form from dir (the
// cifar-10-batches-bin folder of cifar-10-binary.tar.gz, or a folder holding
// it): data_batch_1.bin .. data_batch_5.bin when train, else test_batch.bin.
// Class names come from batches.meta.txt if present, else the standard
// ten. The set is 3x32x32, named "cifar10-train" or "cifar10-test".
func LoadCIFAR10(dir string, train bool) (*Set, error) {
	if !isCIFAR10(dir) {
		if sub := filepath.Join(dir, "cifar-10-batches-bin"); isCIFAR10(sub) {
			dir = sub
		}
	}
	files := []string{"test_batch.bin"}
	name := "cifar10-test"
	if train {
		files = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
		name = "cifar10-train"
	}
	classes, err := cifarClasses(dir)
	if err != nil {
		return nil, err
	}
	// Size everything from the files' lengths first, then allocate once.
	total := 0
	for i, f := range files {
		files[i] = filepath.Join(dir, f)
		fi, err := os.Stat(files[i])
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such CIFAR-10 batch file (want the cifar-10-batches-bin folder of %s)", files[i], cifar10URL)
		}
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: %s, not a CIFAR-10 batch file", files[i], safefile.Kind(fi.Mode()))
		}
		if fi.Size() == 0 || fi.Size()%cifarRecord != 0 {
			return nil, fmt.Errorf("%s: %d bytes, not a whole number of %d-byte CIFAR-10 records", files[i], fi.Size(), cifarRecord)
		}
		total += int(fi.Size() / cifarRecord)
	}
	s := &Set{
		Name:     name,
		Channels: 3, Height: cifarSize, Width: cifarSize,
		Images:  make([]uint8, total*cifarPixels),
		Labels:  make([]int, total),
		Classes: classes,
	}
	next := 0
	for _, f := range files {
		if next, err = readCIFARBatch(f, s, next); err != nil {
			return nil, err
		}
	}
	if next != total {
		return nil, fmt.Errorf("CIFAR-10: %s: read %d records, expected %d (files changed while reading?)", dir, next, total)
	}
	return s, nil
}

// readCIFARBatch reads the records of one batch file into s from image
// index next on, and returns the index after the last.
func readCIFARBatch(path string, s *Set, next int) (int, error) {
	f, _, err := safefile.OpenRegular(path)
	if err != nil {
		return next, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64*cifarRecord)
	var label [1]byte
	for rec := 0; ; rec++ {
		if _, err := io.ReadFull(r, label[:]); err == io.EOF {
			return next, nil
		} else if err != nil {
			return next, fmt.Errorf("%s: record %d: %v", path, rec, err)
		}
		if next >= s.Len() {
			return next, fmt.Errorf("%s: more records than its size said (file grew while reading?)", path)
		}
		if int(label[0]) >= len(s.Classes) {
			return next, fmt.Errorf("%s: record %d has label %d, want 0..%d", path, rec, label[0], len(s.Classes)-1)
		}
		s.Labels[next] = int(label[0])
		if _, err := io.ReadFull(r, s.Image(next)); err != nil {
			return next, fmt.Errorf("%s: record %d: %v", path, rec, err)
		}
		next++
	}
}

// cifarClasses reads dir/batches.meta.txt (one class name a line), or
// returns the standard names if there is none.
func cifarClasses(dir string) ([]string, error) {
	path := filepath.Join(dir, "batches.meta.txt")
	data, err := safefile.ReadFile(path, 1<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return cifar10Classes, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for line := range strings.Lines(string(data)) {
		if name := strings.TrimSpace(line); name != "" {
			names = append(names, name)
		}
	}
	if len(names) != len(cifar10Classes) {
		return nil, fmt.Errorf("%s: %d class names, want %d", path, len(names), len(cifar10Classes))
	}
	return names, nil
}

// isCIFAR10 reports whether dir holds a CIFAR-10 batch file.
func isCIFAR10(dir string) bool {
	for _, f := range []string{"data_batch_1.bin", "test_batch.bin"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}
