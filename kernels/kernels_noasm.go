//go:build !purego && !amd64 && !arm64

package kernels

// No assembly for this architecture: only generic runs.
const purego = false

func archImpls() []*impl { return nil }
