package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Options holds what Load needs beyond the spec.
type Options struct {
	// MNISTDir is the folder given by the --mnist flag; "" lets FindMNIST
	// search EDGECNN_MNIST and the Go module cache.
	MNISTDir string
	// Folder says how image folders are read: through which input
	// contract, matched to which labels, on how many threads. MNIST and
	// CIFAR-10 ignore it.
	Folder FolderOptions
	// Limit, if positive, asks for the first Limit images only. MNIST
	// then reads and decompresses only those (LoadMNISTHead); other sets
	// may return more.
	Limit int
}

// Load reads the training split (train) or the test split of the dataset
// named by spec, the value of a --data flag:
//
//	mnist          MNIST, found by FindMNIST(opt.MNISTDir)
//	mnist:DIR      MNIST from the IDX files in DIR
//	fashion        Fashion-MNIST from Debian's dataset-fashion-mnist
//	fashion:DIR    Fashion-MNIST from the IDX files in DIR
//	cifar10:DIR    CIFAR-10 from the binary batches in DIR
//	DIR            a folder: CIFAR-10 if it holds data_batch_1.bin or
//	               test_batch.bin (or a cifar-10-batches-bin subfolder),
//	               MNIST if it holds the four IDX files, else a folder of
//	               images DIR/<class>/*.png|jpg read through opt.Folder
//
// A folder of images with both a train and a test (or val) subfolder is
// split by them; otherwise the whole folder is returned whatever train says.
// Use "./mnist" for a folder that happens to be called mnist.
func Load(spec string, train bool, opt Options) (*Set, error) {
	switch {
	case spec == "":
		return nil, fmt.Errorf("dataset: no dataset given (want mnist, cifar10:DIR or a folder)")
	case spec == "mnist":
		dir, err := FindMNIST(opt.MNISTDir)
		if err != nil {
			return nil, err
		}
		return LoadMNISTHead(dir, train, opt.Limit)
	case strings.HasPrefix(spec, "mnist:"):
		return LoadMNISTHead(strings.TrimPrefix(spec, "mnist:"), train, opt.Limit)
	case spec == "fashion":
		return LoadFashionHead("", train, opt.Limit)
	case strings.HasPrefix(spec, "fashion:"):
		return LoadFashionHead(strings.TrimPrefix(spec, "fashion:"), train, opt.Limit)
	case spec == "cifar10":
		return nil, fmt.Errorf("dataset: cifar10 needs its folder: use cifar10:DIR, DIR being the cifar-10-batches-bin folder of %s", cifar10URL)
	case strings.HasPrefix(spec, "cifar10:"):
		return LoadCIFAR10(strings.TrimPrefix(spec, "cifar10:"), train)
	}
	fi, err := os.Stat(spec)
	if err != nil {
		return nil, fmt.Errorf("dataset %q: not mnist, cifar10:DIR or a folder: %w", spec, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("dataset %q: not mnist, cifar10:DIR or a folder", spec)
	}
	switch {
	case isCIFAR10(spec) || isCIFAR10(filepath.Join(spec, "cifar-10-batches-bin")):
		return LoadCIFAR10(spec, train)
	case hasMNIST(spec):
		return LoadMNISTHead(spec, train, opt.Limit)
	}
	if opt.Folder.Input.Channels == 0 {
		return nil, fmt.Errorf("dataset: image folder %s: no input contract given (Options.Folder.Input)", spec)
	}
	return LoadFolder(FolderSplit(spec, train), opt.Folder)
}

// IsFolder reports whether spec names a folder of images (not MNIST or
// CIFAR-10 files).
func IsFolder(spec string) bool {
	if spec == "mnist" || strings.HasPrefix(spec, "mnist:") || spec == "fashion" || strings.HasPrefix(spec, "fashion:") || strings.HasPrefix(spec, "cifar10") && !isDir(spec) {
		return false
	}
	return isDir(spec) && !isCIFAR10(spec) && !isCIFAR10(filepath.Join(spec, "cifar-10-batches-bin")) && !hasMNIST(spec)
}

// HasSplit reports whether the image folder dir has train and test (or
// val) subfolders.
func HasSplit(dir string) bool { return FolderSplit(dir, true) != dir }

// FolderSplit returns dir/train or dir/test (or dir/val) when dir has both
// a train and a test or val subfolder, else dir.
func FolderSplit(dir string, train bool) string {
	if !isDir(filepath.Join(dir, "train")) {
		return dir
	}
	for _, test := range []string{"test", "val"} {
		if isDir(filepath.Join(dir, test)) {
			if train {
				return filepath.Join(dir, "train")
			}
			return filepath.Join(dir, test)
		}
	}
	return dir
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
