//go:build !purego

package kernels

import (
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// BenchmarkPeak measures the register-only peak of the inner-loop
// instruction sequences of the int8 kernels, in GMAC/s (one iteration per
// b.N step is too short to time, so each step runs 1000).
func BenchmarkPeak(b *testing.B) {
	const inner = 1000
	loops := []struct {
		name string
		macs int
		ok   bool
		f    func(int)
	}{
		{"maddwd-int16", 192, cpuid.CPU.Has(cpuid.AVX2), peakMaddwd},
		{"sx-maddwd-int8", 192, cpuid.CPU.Has(cpuid.AVX2), peakSxMaddwd},
		{"vpdpbusd-zmm", 1024, cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VNNI), peakDpbusdZ},
		{"vpdpbusd-ymm", 384, cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL, cpuid.AVX512VNNI), peakDpbusdY},
	}
	for _, l := range loops {
		b.Run(l.name, func(b *testing.B) {
			if !l.ok {
				b.Skip("this CPU lacks the instructions")
			}
			for b.Loop() {
				l.f(inner)
			}
			b.ReportMetric(float64(l.macs)*inner*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
