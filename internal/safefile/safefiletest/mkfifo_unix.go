//go:build unix

package safefiletest

import (
	"syscall"
	"testing"
)

func mkfifo(t testing.TB, path string) {
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}
