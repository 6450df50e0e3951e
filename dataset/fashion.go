package dataset

import (
	"fmt"
	"path/filepath"
)

// FashionDir is where Debian's dataset-fashion-mnist package puts
// Fashion-MNIST.
const FashionDir = "/usr/share/datasets/fashion-mnist"

// fashionDir is FashionDir, but for tests.
var fashionDir = FashionDir

// FashionClasses are Fashion-MNIST's classes, in label order.
var FashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// LoadFashion reads Fashion-MNIST (Zalando's 28x28 grayscale clothes, in
// MNIST's IDX files and layout) from dir, or from FashionDir when dir is
// "": the training set (60000 images) or, if train is false, the test set
// (10000). Like LoadMNIST it pads the images to 32x32; the set is named
// "fashion-train" or "fashion-test".
func LoadFashion(dir string, train bool) (*Set, error) { return LoadFashionHead(dir, train, 0) }

// LoadFashionHead is LoadFashion reading only the first n images (all when
// n <= 0).
func LoadFashionHead(dir string, train bool, n int) (*Set, error) {
	if dir == "" {
		dir = fashionDir
		if !hasMNIST(dir) {
			return nil, fmt.Errorf("Fashion-MNIST not found in %s: install it with 'apt-get install dataset-fashion-mnist', or use fashion:DIR for a folder holding its four IDX files", dir)
		}
	}
	if !hasMNIST(dir) && hasMNIST(filepath.Join(dir, "data")) {
		dir = filepath.Join(dir, "data")
	}
	return loadDigitsLike(dir, train, n, "fashion", FashionClasses)
}
