package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A core model: LLVM has no scheduling model of its own for the Cortex-A72
// or the Cortex-A76 (-mcpu=cortex-a72 and cortex-a76 both get its
// Cortex-A57 model). The A72 is close to the A57 it succeeded (3-wide, two
// 64-bit ASIMD pipes of which one multiplies integers), so A72 figures use
// that model; A76 figures use the Neoverse N1 model, the server core built
// on the A76 (4-wide, two 128-bit ASIMD pipes that both run SDOT).
type coreModel struct {
	name, mcpu, what string
}

var coreModels = map[string]coreModel{
	"a72": {"a72", "cortex-a72", "Cortex-A72 (LLVM's Cortex-A57 model)"},
	"a76": {"a76", "neoverse-n1", "Cortex-A76 (LLVM's Neoverse N1 model)"},
}

const (
	mca = "llvm-mca-19"
	mc  = "llvm-mc-19"
	// mcaIterations is how often llvm-mca repeats each block: enough for
	// its steady state.
	mcaIterations = 100
)

// blockCycles returns the cycles llvm-mca gives one execution of each
// block of texts (a basic block run back to back: its steady-state
// throughput, with L1 hits, no mispredicted branches and no stalls of the
// front end), on model, and the number of distinct instruction lines
// llvm-mc did not accept, which are run as NOPs.
func blockCycles(texts map[string][]string, model coreModel) (map[string]float64, int, error) {
	keys := make([]string, 0, len(texts))
	for k := range texts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	bad, err := rejectedLines(texts)
	if err != nil {
		return nil, 0, err
	}
	var src strings.Builder
	src.WriteString("tgt:\n")
	for i, k := range keys {
		fmt.Fprintf(&src, "# LLVM-MCA-BEGIN r%d\n", i)
		for _, l := range texts[k] {
			if bad[l] {
				l = "\tnop"
			}
			src.WriteString(l + "\n")
		}
		src.WriteString("# LLVM-MCA-END\n")
	}
	f, err := os.CreateTemp("", "icount-mca-*.s")
	if err != nil {
		return nil, 0, err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(src.String()); err != nil {
		return nil, 0, err
	}
	f.Close()
	// A call would cost 100 cycles without -call-latency; LSE atomics have
	// no scheduling data and are skipped.
	cmd := exec.Command(mca, "-mtriple=aarch64", "-mcpu="+model.mcpu, "-mattr=+dotprod", "-call-latency=1",
		"-skip-unsupported-instructions=lack-sched", fmt.Sprintf("-iterations=%d", mcaIterations),
		"-summary-view", "-resource-pressure=false", "-instruction-info=false", f.Name())
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = firstLines(string(ee.Stderr), 5)
		}
		return nil, 0, fmt.Errorf("%s: %v %s (apt-get install llvm-19)", mca, err, msg)
	}
	byRegion, err := parseMCA(string(out))
	if err != nil {
		return nil, 0, err
	}
	cycles := make(map[string]float64, len(keys))
	for i, k := range keys {
		c, ok := byRegion[i]
		if !ok {
			return nil, 0, fmt.Errorf("%s gave no result for block %d", mca, i)
		}
		cycles[k] = c
	}
	return cycles, len(bad), nil
}

var mcaRegion = regexp.MustCompile(`Code Region - r(\d+)\s+Iterations:\s+(\d+)\s+Instructions:\s+\d+\s+Total Cycles:\s+(\d+)`)

// parseMCA returns the cycles per iteration of each region of llvm-mca's
// summary view.
func parseMCA(out string) (map[int]float64, error) {
	res := map[int]float64{}
	for _, m := range mcaRegion.FindAllStringSubmatch(out, -1) {
		r, _ := strconv.Atoi(m[1])
		iters, _ := strconv.ParseFloat(m[2], 64)
		total, _ := strconv.ParseFloat(m[3], 64)
		if iters > 0 {
			res[r] = total / iters
		}
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("no code regions in the output of %s", mca)
	}
	return res, nil
}

var mcError = regexp.MustCompile(`:(\d+):\d+: error`)

// rejectedLines returns the instruction lines llvm-mc does not assemble
// (objdump and llvm-mc disagree on a few spellings).
func rejectedLines(texts map[string][]string) (map[string]bool, error) {
	seen := map[string]bool{}
	var uniq []string
	for _, t := range texts {
		for _, l := range t {
			if !seen[l] {
				seen[l] = true
				uniq = append(uniq, l)
			}
		}
	}
	slices.Sort(uniq)
	cmd := exec.Command(mc, "-triple=aarch64", "-mattr=+dotprod,+fullfp16,+rcpc,+lse,+crc,+aes,+sha2", "-filetype=null", "-")
	cmd.Stdin = strings.NewReader("tgt:\n" + strings.Join(uniq, "\n") + "\n")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil && stderr.Len() == 0 {
		return nil, fmt.Errorf("%s: %w (apt-get install llvm-19)", mc, err)
	}
	bad := map[string]bool{}
	for _, m := range mcError.FindAllStringSubmatch(stderr.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		if k := n - 2; k >= 0 && k < len(uniq) { // line 1 is the label
			bad[uniq[k]] = true
		}
	}
	return bad, nil
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[:min(n, len(lines))], "; ")
}
