package main

import (
	"runtime"
	"strings"
	"sync"

	"github.com/klauspost/cpuid/v2"
	"periph.io/x/host/v3/distro"
)

// boardName names the machine: the board model from the device tree (a
// Raspberry Pi says "Raspberry Pi 5 Model B Rev 1.0"), else the CPU model,
// else the architecture. `run` and `bench` print it.
var boardName = sync.OnceValue(func() string {
	if m := strings.TrimSpace(strings.TrimRight(distro.DTModel(), "\x00")); known(m) {
		return m
	}
	if b := strings.TrimSpace(cpuid.CPU.BrandName); b != "" {
		return b
	}
	if m := distro.CPUInfo()["model name"]; m != "" {
		return m
	}
	return runtime.GOOS + "/" + runtime.GOARCH
})

// known reports whether a model string names something ("<unknown>" and
// "unknown" do not).
func known(s string) bool {
	return s != "" && !strings.EqualFold(strings.Trim(s, "<>"), "unknown")
}
