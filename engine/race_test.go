//go:build race

package engine

// RaceEnabled: the race detector makes sync.Pool drop items at random, so
// allocation counts mean nothing under it.
const RaceEnabled = true
