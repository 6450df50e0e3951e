package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// reportOptions say what to read and how to label it.
type reportOptions struct {
	plugin, hist string // the plugin's output and histogram
	exe, objects string // the counted program, and its "object" listing if it loads libraries
	prefix       string // qemu's -L: where the guest's libraries are
	batch        int    // images per region: counts are divided by it
	cores        []coreModel
	groups       []group
	layers       []layerInfo // segments 1, 2, ...; nil: name segments by their marks
	macs         int64       // per image, when layers do not say
	unit         string      // what a count is per: "image" (default) or e.g. "call"
	top          int
}

// layerInfo names a segment and gives its multiply-accumulates per image.
type layerInfo struct {
	name string
	macs int64
}

// group collects the functions whose names match re, e.g. the assembly
// micro-kernels; the first group that matches a function takes it.
type group struct {
	name string
	re   *regexp.Regexp
}

func parseGroup(s string) (group, error) {
	name, expr, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return group{}, fmt.Errorf("-group %q: want NAME=REGEXP", s)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return group{}, fmt.Errorf("-group %s: %w", name, err)
	}
	return group{name, re}, nil
}

// layerLines reads the "layer I NAME MACs M" lines bench/xnnpack prints in
// counting mode (M for the whole batch).
func layerLines(path string, batch int) ([]layerInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []layerInfo
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) != 5 || p[0] != "layer" || p[3] != "MACs" {
			continue
		}
		macs, err := strconv.ParseInt(p[4], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		out = append(out, layerInfo{p[2], macs / int64(batch)})
	}
	return out, sc.Err()
}

// blockInfo is one block of the histogram with what the report needs.
type blockInfo struct {
	histEntry
	fn, group, text string
	// joined is the text of the chain of split blocks this block is part
	// of (see joinSplitBlocks), "" if none; the chain ran whole
	// joinedExecs times, and this block's share of its cycles is share.
	joined      string
	joinedExecs uint64
	share       float64
	cycles      []float64 // per core model: the block's cycles, all executions
}

// joinSplitBlocks finds the blocks that qemu split where the code did not
// branch: it ends a translated block at a page boundary (and at its size
// limit) as well as at branches, and each piece costed as a loop of its
// own would move the estimate with the code's layout. A block whose last
// instruction is not a branch is joined to the block that starts where it
// ends, in the same segment, and so on along the chain; the chain is
// costed as one block for as many executions as all its pieces had (the
// rest of each piece's executions as before), and its cycles shared among
// the pieces by their instructions. The joined texts are added to texts.
// Instruction counts do not change.
func joinSplitBlocks(blocks []blockInfo, texts map[string][]string) {
	type at struct {
		seg   int
		vaddr uint64
	}
	start := map[at]int{}
	for i, b := range blocks {
		if b.text != "" {
			start[at{b.seg, b.vaddr}] = i
		}
	}
	next := make([]int, len(blocks))
	joinedTo := make([]bool, len(blocks))
	for i, b := range blocks {
		next[i] = -1
		if lines := texts[b.text]; b.text == "" || isBranch(lines[len(lines)-1]) {
			continue
		}
		if j, ok := start[at{b.seg, b.vaddr + 4*uint64(b.ninsns)}]; ok {
			next[i], joinedTo[j] = j, true
		}
	}
	for head := range blocks {
		if next[head] < 0 || joinedTo[head] {
			continue
		}
		var chain []int
		var lines []string
		execs, ninsns := blocks[head].execs, 0
		for i := head; i >= 0; i = next[i] {
			chain = append(chain, i)
			lines = append(lines, texts[blocks[i].text]...)
			execs = min(execs, blocks[i].execs)
			ninsns += blocks[i].ninsns
		}
		text := strings.Join(lines, "\n")
		texts[text] = lines
		for _, i := range chain {
			blocks[i].joined, blocks[i].joinedExecs = text, execs
			blocks[i].share = float64(blocks[i].ninsns) / float64(ninsns)
		}
	}
}

// isBranch reports whether a disassembled line is a branch, a call or a
// return: an instruction after which qemu always ends a block.
func isBranch(line string) bool {
	f := strings.Fields(line)
	if len(f) == 0 {
		return false
	}
	switch op := f[0]; op {
	case "b", "bl", "br", "blr", "ret", "cbz", "cbnz", "tbz", "tbnz", "svc", "brk", "udf":
		return true
	default:
		return strings.HasPrefix(op, "b.")
	}
}

// printRegionReport prints, per image: the instructions of a region (a
// call between the begin and end marks), the llvm-mca cycle estimate on
// each core model, the split by group, by segment (layer) and the top
// functions.
func printRegionReport(w io.Writer, opt reportOptions) error {
	run, err := readPluginRun(opt.plugin)
	if err != nil {
		return err
	}
	entries, err := readHist(opt.hist)
	if err != nil {
		return err
	}
	objs, err := loadObjects(opt.exe, opt.objects, opt.prefix)
	if err != nil {
		return err
	}
	return writeReport(w, opt, run, entries, objs)
}

// writeReport is printRegionReport on what it read.
func writeReport(w io.Writer, opt reportOptions, run *pluginRun, entries []histEntry, objs []*object) error {
	if opt.unit == "" {
		opt.unit = "image"
	}
	nreg := float64(len(run.regions)) * float64(opt.batch)
	per := func(v float64) float64 { return v / nreg }

	blocks := make([]blockInfo, len(entries))
	texts := map[string][]string{}
	var modelled, total float64
	for i, e := range entries {
		b := blockInfo{histEntry: e, fn: "?", group: "other"}
		total += float64(e.ninsns) * float64(e.execs)
		if o := objectAt(objs, e.vaddr); o != nil {
			b.fn = o.function(e.vaddr)
			if len(opt.cores) > 0 {
				if err := o.disassemble(); err != nil {
					return err
				}
				if lines, ok := o.block(e.vaddr, e.ninsns); ok {
					b.text = strings.Join(lines, "\n")
					texts[b.text] = lines
					modelled += float64(e.ninsns) * float64(e.execs)
				}
			}
		}
		for _, g := range opt.groups {
			if g.re.MatchString(b.fn) {
				b.group = g.name
				break
			}
		}
		blocks[i] = b
	}

	joinSplitBlocks(blocks, texts)

	// cycles[c][text] is a block's cycles on core model c.
	cycles := make([]map[string]float64, len(opt.cores))
	rejected := 0
	var err error
	for c, core := range opt.cores {
		if cycles[c], rejected, err = blockCycles(texts, core); err != nil {
			return err
		}
	}
	for i := range blocks {
		b := &blocks[i]
		b.cycles = make([]float64, len(opt.cores))
		for c := range opt.cores {
			b.cycles[c] = float64(b.execs) * cycles[c][b.text]
			if b.joined != "" {
				b.cycles[c] = float64(b.execs-b.joinedExecs)*cycles[c][b.text] +
					float64(b.joinedExecs)*cycles[c][b.joined]*b.share
			}
		}
	}
	cyc := func(c int, b blockInfo) float64 { return b.cycles[c] }

	macs := opt.macs
	for _, l := range opt.layers {
		macs += l.macs
	}
	mean := run.mean() / float64(opt.batch)
	smallest := slices.Min(run.regions)
	fmt.Fprintf(w, "instructions per %s: %.0f (mean of %d calls; the smallest call %.0f)", opt.unit, mean, len(run.regions),
		float64(smallest)/float64(opt.batch))
	if macs > 0 {
		fmt.Fprintf(w, ", %.4f per MAC", mean/float64(macs))
	}
	fmt.Fprintln(w)
	if run.migrated > 0 {
		fmt.Fprintf(w, "warning: %d calls ended on another thread than they began; their counts are incomplete\n", run.migrated)
	}
	for c, core := range opt.cores {
		var sum float64
		for _, b := range blocks {
			sum += cyc(c, b)
		}
		fmt.Fprintf(w, "cycles per %s, %s: %.0f (IPC %.2f", opt.unit, core.what, per(sum), per(modelled)/per(sum))
		if macs > 0 {
			fmt.Fprintf(w, ", %.2f MACs per cycle", float64(macs)/per(sum))
		}
		fmt.Fprintf(w, ")\n")
	}
	if len(opt.cores) > 0 {
		fmt.Fprintf(w, "the cycle model covers %.2f%% of the instructions; llvm-mc rejected %d distinct lines, run as NOPs\n",
			100*modelled/total, rejected)
	}

	// Groups.
	groups := []string{}
	for _, g := range opt.groups {
		groups = append(groups, g.name)
	}
	groups = append(groups, "other")
	if len(opt.groups) > 0 {
		fmt.Fprintf(w, "\n%-10s %14s %8s", "group", "instr/"+opt.unit, "share")
		for _, core := range opt.cores {
			fmt.Fprintf(w, " %14s %8s", core.name+" cycles", "share")
		}
		fmt.Fprintln(w)
		for _, g := range groups {
			var ins float64
			cs := make([]float64, len(opt.cores))
			allCycles := make([]float64, len(opt.cores))
			for _, b := range blocks {
				for c := range opt.cores {
					allCycles[c] += cyc(c, b)
				}
				if b.group != g {
					continue
				}
				ins += float64(b.ninsns) * float64(b.execs)
				for c := range opt.cores {
					cs[c] += cyc(c, b)
				}
			}
			fmt.Fprintf(w, "%-10s %14.0f %7.1f%%", g, per(ins), 100*ins/total)
			for c := range opt.cores {
				fmt.Fprintf(w, " %14.0f %7.1f%%", per(cs[c]), 100*cs[c]/allCycles[c])
			}
			fmt.Fprintln(w)
		}
	}

	printSegments(w, opt, run, blocks, groups, cyc, per)

	// Top functions.
	type fnCount struct {
		name   string
		ins    float64
		cycles []float64
	}
	byFn := map[string]*fnCount{}
	for _, b := range blocks {
		f := byFn[b.fn]
		if f == nil {
			f = &fnCount{name: b.fn, cycles: make([]float64, len(opt.cores))}
			byFn[b.fn] = f
		}
		f.ins += float64(b.ninsns) * float64(b.execs)
		for c := range opt.cores {
			f.cycles[c] += cyc(c, b)
		}
	}
	fns := make([]*fnCount, 0, len(byFn))
	for _, f := range byFn {
		fns = append(fns, f)
	}
	slices.SortFunc(fns, func(a, b *fnCount) int { return cmp.Compare(b.ins, a.ins) })
	fmt.Fprintf(w, "\n%14s %7s", "instr/"+opt.unit, "share")
	for _, core := range opt.cores {
		fmt.Fprintf(w, " %14s", core.name+" cycles")
	}
	fmt.Fprintln(w, "  function")
	for _, f := range fns[:min(opt.top, len(fns))] {
		fmt.Fprintf(w, "%14.0f %6.1f%%", per(f.ins), 100*f.ins/total)
		for c := range opt.cores {
			fmt.Fprintf(w, " %14.0f", per(f.cycles[c]))
		}
		fmt.Fprintf(w, "  %s\n", f.name)
	}
	return nil
}

// printSegments prints the per-segment (per-layer) table: instructions per
// image (the mean over the calls, and the smallest call's), cycles on each
// core model, and instructions per group.
func printSegments(w io.Writer, opt reportOptions, run *pluginRun, blocks []blockInfo, groups []string,
	cyc func(int, blockInfo) float64, per func(float64) float64) {
	nseg := len(run.segments)
	if nseg <= 1 {
		return // no marks: one segment, the whole call
	}
	named := opt.layers != nil && len(opt.layers) == nseg-1
	if opt.layers != nil && !named {
		fmt.Fprintf(w, "\nwarning: %d segments for %d layers: segments are named by their marks\n", nseg, len(opt.layers))
	}
	ins := make([][]float64, nseg) // [segment][group]
	cycles := make([][]float64, nseg)
	for s := range nseg {
		ins[s] = make([]float64, len(groups))
		cycles[s] = make([]float64, len(opt.cores))
	}
	for _, b := range blocks {
		if b.seg >= nseg {
			continue
		}
		ins[b.seg][slices.Index(groups, b.group)] += float64(b.ninsns) * float64(b.execs)
		for c := range opt.cores {
			cycles[b.seg][c] += cyc(c, b)
		}
	}
	fmt.Fprintf(w, "\n%-28s %12s %12s %12s %9s", "layer", "MACs", "instr/"+opt.unit, "smallest", "instr/MAC")
	for _, core := range opt.cores {
		fmt.Fprintf(w, " %12s", core.name+" cycles")
	}
	if len(groups) > 1 {
		for _, g := range groups {
			fmt.Fprintf(w, " %12s", g)
		}
	}
	fmt.Fprintln(w)
	for s, seg := range run.segments {
		name, macs := seg.name, int64(0)
		switch {
		case s == 0:
			name = "(before the first layer)"
		case named:
			name, macs = opt.layers[s-1].name, opt.layers[s-1].macs
		}
		if seg.sum == 0 && s == 0 {
			continue
		}
		fmt.Fprintf(w, "%-28s %12d %12.0f %12.0f %9s", name, macs, per(float64(seg.sum)),
			float64(seg.min)/float64(opt.batch), perMAC(float64(seg.sum)/float64(len(run.regions)*opt.batch), macs))
		for c := range opt.cores {
			fmt.Fprintf(w, " %12.0f", per(cycles[s][c]))
		}
		if len(groups) > 1 {
			for g := range groups {
				fmt.Fprintf(w, " %12.0f", per(ins[s][g]))
			}
		}
		fmt.Fprintln(w)
	}
}

// perMAC formats instructions per multiply-accumulate, or "-" for layers
// without MACs.
func perMAC(instr float64, macs int64) string {
	if macs == 0 {
		return "-"
	}
	return fmt.Sprintf("%.4f", instr/float64(macs))
}
