//go:build !linux

package camera

import "fmt"

// OpenV4L2 needs Linux.
func OpenV4L2(path string, opt Options) (Source, error) {
	return nil, fmt.Errorf("camera: %s: V4L2 cameras need Linux", path)
}
