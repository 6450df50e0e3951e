package atomicfile

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// smallFilesystem mounts a 64 KiB tmpfs for the test (as root, e.g. in CI)
// or skips it.
func smallFilesystem(t *testing.T) string {
	if os.Geteuid() != 0 {
		t.Skip("a full disk needs a tmpfs mount (root)")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil && !errors.Is(err, syscall.EINVAL) {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
