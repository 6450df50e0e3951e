//go:build purego

package kernels

// The purego build tag leaves every assembly kernel out: only generic runs.
const purego = true

func archImpls() []*impl { return nil }
