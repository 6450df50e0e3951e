//go:build !unix

package safefiletest

import "testing"

func mkfifo(t testing.TB, _ string) { t.Skip("needs FIFOs and /dev/zero") }
