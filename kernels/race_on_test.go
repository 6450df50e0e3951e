//go:build race

package kernels

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// the pooled packing buffers allocate and allocation counts mean nothing.
const raceEnabled = true
