package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/edgecnn/edgecnn/engine"
)

// memoryLimit is the value of --max-memory: the most memory an engine may
// hold, in bytes, as engine.Options.MaxMemory takes it (0: the default,
// half of the machine's memory; -1: no limit).
type memoryLimit int64

// addMemoryFlag adds --max-memory to f.
func addMemoryFlag(f *pflag.FlagSet, v *memoryLimit) {
	def := "half of this machine's memory"
	if d := engine.DefaultMaxMemory(); d > 0 {
		def += ", " + engine.FormatBytes(d)
	}
	f.Var(v, "max-memory", "the most memory the model may take (weights, activations, scratch): SIZE like 512MiB, 2G, 1.5GB, or none (default: "+def+")")
}

func (m *memoryLimit) String() string {
	switch {
	case *m == 0:
		return ""
	case *m < 0:
		return "none"
	}
	return engine.FormatBytes(int64(*m))
}

func (m *memoryLimit) Type() string { return "SIZE" }

// Set parses a size: a number with an optional unit, K, M, G or T (also
// KiB ... TiB) in powers of 1024, KB ... TB in powers of 1000, B or none;
// or "none" for no limit.
func (m *memoryLimit) Set(s string) error {
	if strings.EqualFold(s, "none") {
		*m = -1
		return nil
	}
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*m = memoryLimit(n)
	return nil
}

// parseBytes reads a positive byte count with an optional unit.
func parseBytes(s string) (int64, error) {
	num := strings.TrimRightFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' })
	unit := strings.ToUpper(s[len(num):])
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	bad := fmt.Errorf("%q: want a size like 512MiB, 2G or 1.5GB, or none", s)
	if err != nil || !(v > 0) {
		return 0, bad
	}
	scale := map[string]float64{"": 1, "B": 1,
		"K": 1 << 10, "KIB": 1 << 10, "KB": 1e3,
		"M": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
		"G": 1 << 30, "GIB": 1 << 30, "GB": 1e9,
		"T": 1 << 40, "TIB": 1 << 40, "TB": 1e12,
	}
	f, ok := scale[unit]
	if !ok || v*f >= math.MaxInt64 || v*f < 1 {
		return 0, bad
	}
	return int64(v * f), nil
}

// checkThreads checks a --threads value for an engine.
func checkThreads(n int) error {
	if n < 0 || n > engine.MaxThreads {
		return usagef("--threads %d: want 0 (all cores) to %d", n, engine.MaxThreads)
	}
	return nil
}
