//go:build !linux

package atomicfile

import "testing"

func smallFilesystem(t *testing.T) string {
	t.Skip("a full disk needs a tmpfs mount (Linux)")
	return ""
}
