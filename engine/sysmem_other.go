//go:build !linux

package engine

// machineMemory returns 0 (unknown) outside Linux.
func machineMemory() int64 { return 0 }
