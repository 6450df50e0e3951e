//go:build !linux

// Command hostile replays issue 16's hostile-input campaign; it needs
// Linux (FIFOs, /dev/zero, getrusage, tmpfs).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "hostile: runs on Linux only")
	os.Exit(1)
}
