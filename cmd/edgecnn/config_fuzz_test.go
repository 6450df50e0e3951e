package main

import (
	"testing"

	"github.com/edgecnn/edgecnn/internal/memcheck"
)

// FuzzConfig applies hostile --config files to run's flags: a usage error
// naming the line, or flags set, never a panic, within memcheck's bound.
func FuzzConfig(f *testing.F) {
	f.Add([]byte("# comment\nsource = rpicam\nsize=640x480\nquiet\ngpio=GPIO17=7:0.8\n--threads=2\n"))
	f.Add([]byte("web\nweb-allow=a,b\nmax-memory=1GiB\nfps=1e-9\nsmooth=1000000000\n"))
	f.Add([]byte("config=x\n=\n\x00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := runCmd().Flags()
		memcheck.Check(t, len(data), func() { applyConfigData(fs, "fuzz.conf", data) })
	})
}
