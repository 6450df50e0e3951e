package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/edgecnn/edgecnn/nn"
)

// pluginRun is the plugin's output of one run: the total, the count of
// every named range (several ranges may share a name: they are summed), and
// the snapshots taken at the marks, in execution order.
type pluginRun struct {
	total  uint64
	names  []string // range names, in the order of the counts
	counts []uint64
	marks  []snapshot
}

type snapshot struct {
	name   string
	total  uint64
	counts []uint64
}

// readRun parses the "icount ..." lines of a plugin output file.
func readRun(path string) (*pluginRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := parseRun(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func parseRun(rd io.Reader) (*pluginRun, error) {
	r := &pluginRun{}
	sc := bufio.NewScanner(rd)
	sawTotal := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] != "icount" {
			continue
		}
		switch {
		case f[1] == "total":
			v, err := parseUint(f[2])
			if err != nil {
				return nil, err
			}
			r.total, sawTotal = v, true
		case f[1] == "mark":
			if len(f) != 4+len(r.names) {
				return nil, fmt.Errorf("mark line with %d fields, want %d: %q", len(f), 4+len(r.names), sc.Text())
			}
			s := snapshot{name: f[2], counts: make([]uint64, len(r.names))}
			var err error
			if s.total, err = parseUint(f[3]); err != nil {
				return nil, err
			}
			for i, c := range f[4:] {
				if s.counts[i], err = parseUint(c); err != nil {
					return nil, err
				}
			}
			r.marks = append(r.marks, s)
		default:
			v, err := parseUint(f[2])
			if err != nil {
				return nil, err
			}
			r.names = append(r.names, f[1])
			r.counts = append(r.counts, v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !sawTotal {
		return nil, fmt.Errorf("no \"icount total\" line: did qemu run with the plugin?")
	}
	return r, nil
}

// markOf is the mark (the engine layer type whose forward method is marked)
// that the int8 engine runs for a node of each op.
var markOf = map[nn.Op]string{
	nn.OpConv2D: "convInt8", nn.OpLinear: "linearInt8",
	nn.OpMaxPool: "poolInt8", nn.OpAvgPool: "poolInt8",
	nn.OpFlatten: "copyInt8", nn.OpDropout: "copyInt8",
	nn.OpReLU: "lookup", nn.OpReLU6: "lookup", nn.OpTanh: "lookup",
	nn.OpSoftmax: "softmaxInt8",
	nn.OpAdd:     "addInt8", nn.OpConcat: "concatInt8",
}

// layerCount is the count of one layer in the last call of a run.
type layerCount struct {
	name   string
	op     nn.Op
	macs   int64
	total  uint64   // 0 for a layer fused into its producer
	counts []uint64 // per range
	fused  bool
}

// layers cuts every call of r (from a "begin" mark to the "end" after it)
// at the marks and assigns the pieces to m's nodes in order. A node without
// a mark of its kind ran inside its producer (a fused ReLU): its count is 0
// and the producer's includes it. The piece before the first layer (loading
// the input) is reported as "input"; the last layer's piece includes
// dequantizing the logits.
//
// The counters are global, so instructions that other threads (the Go
// runtime's sysmon, mostly) execute meanwhile land in whatever piece is
// running: that noise only ever adds. Each piece is therefore the minimum
// over the calls, as is the whole call (end - begin), returned second.
func layers(m *nn.Model, r *pluginRun) ([]layerCount, uint64, error) {
	stats, err := m.Stats()
	if err != nil {
		return nil, 0, err
	}
	var best []layerCount
	var whole uint64
	calls := 0
	for b := 0; b < len(r.marks); b++ {
		if r.marks[b].name != "begin" {
			continue
		}
		e := b + 1
		for e < len(r.marks) && r.marks[e].name != "end" {
			e++
		}
		if e == len(r.marks) {
			return nil, 0, fmt.Errorf("no end mark after the begin mark %d", b)
		}
		ls, err := cut(stats, r, b, e)
		if err != nil {
			return nil, 0, err
		}
		w := r.marks[e].total - r.marks[b].total
		if calls == 0 {
			best, whole = ls, w
		}
		for i := range best {
			if !best[i].fused && ls[i].total < best[i].total {
				best[i].total = ls[i].total
			}
			for k, v := range ls[i].counts {
				best[i].counts[k] = min(best[i].counts[k], v)
			}
		}
		whole = min(whole, w)
		calls++
		b = e
	}
	if calls == 0 {
		return nil, 0, fmt.Errorf("no begin mark")
	}
	return best, whole, nil
}

// cut assigns the pieces between the marks b ("begin") and e ("end") to the
// nodes of stats.
func cut(stats []nn.LayerStats, r *pluginRun, b, e int) ([]layerCount, error) {
	piece := func(name string, i int) layerCount {
		lc := layerCount{name: name, total: r.marks[i+1].total - r.marks[i].total, counts: make([]uint64, len(r.names))}
		for k := range lc.counts {
			lc.counts[k] = r.marks[i+1].counts[k] - r.marks[i].counts[k]
		}
		return lc
	}
	out := []layerCount{piece("input", b)}
	j := b + 1 // the next unassigned mark
	for _, st := range stats {
		n := st.Node
		if j < e && r.marks[j].name == markOf[n.Op] {
			lc := piece(n.Name, j)
			lc.op, lc.macs = n.Op, st.MACs
			out = append(out, lc)
			j++
			continue
		}
		out = append(out, layerCount{name: n.Name, op: n.Op, fused: true, counts: make([]uint64, len(r.names))})
	}
	if j != e {
		return nil, fmt.Errorf("marks %d..%d (%s ...) match no layer of the model", j, e-1, r.marks[j].name)
	}
	return out, nil
}

// printReport prints the per-layer counts (the minimum over the calls of
// the 3-call run) and the whole-inference count, both as that minimum and as
// (3 calls - 1 call) / 2, per image.
func printReport(w io.Writer, m *nn.Model, batch int, onePath, threePath string) error {
	one, err := readRun(onePath)
	if err != nil {
		return err
	}
	three, err := readRun(threePath)
	if err != nil {
		return err
	}
	if !slices.Equal(one.names, three.names) {
		return fmt.Errorf("the two runs counted different ranges: %v, %v", one.names, three.names)
	}
	ls, call, err := layers(m, three)
	if err != nil {
		return err
	}
	// Ranges sharing a name are summed into one column.
	var cols []string
	colOf := make([]int, len(three.names))
	for i, name := range three.names {
		c := slices.Index(cols, name)
		if c < 0 {
			c = len(cols)
			cols = append(cols, name)
		}
		colOf[i] = c
	}
	per := func(v uint64) float64 { return float64(v) / float64(batch) }
	fmt.Fprintf(w, "%-9s %-8s %10s %12s %9s", "layer", "op", "MACs", "instr/img", "instr/MAC")
	for _, c := range cols {
		fmt.Fprintf(w, " %11s", c)
	}
	fmt.Fprintf(w, " %11s\n", "other")
	var macs int64
	var sum uint64
	sumCols := make([]uint64, len(cols))
	for _, l := range ls {
		macs += l.macs
		sum += l.total
		if l.fused {
			fmt.Fprintf(w, "%-9s %-8s %10d %12s\n", l.name, l.op, l.macs, "(fused)")
			continue
		}
		fmt.Fprintf(w, "%-9s %-8s %10d %12.0f %9s", l.name, l.op, l.macs, per(l.total), perMAC(l.total, l.macs, batch))
		colSums := make([]uint64, len(cols))
		var inCols uint64
		for k, v := range l.counts {
			colSums[colOf[k]] += v
			sumCols[colOf[k]] += v
			inCols += v
		}
		for _, v := range colSums {
			fmt.Fprintf(w, " %11.0f", per(v))
		}
		fmt.Fprintf(w, " %11.0f\n", per(l.total-inCols))
	}
	fmt.Fprintf(w, "%-9s %-8s %10d %12.0f %9s", "sum", "", macs, per(sum), perMAC(sum, macs, batch))
	var inCols uint64
	for _, v := range sumCols {
		fmt.Fprintf(w, " %11.0f", per(v))
		inCols += v
	}
	fmt.Fprintf(w, " %11.0f\n", per(sum-inCols))
	if three.total < one.total {
		return fmt.Errorf("the 3-call run counted fewer instructions (%d) than the 1-call run (%d)", three.total, one.total)
	}
	whole := (three.total - one.total) / 2
	fmt.Fprintf(w, "whole Infer, (3 calls - 1 call)/2: %d instructions per call of %d image(s) = %.0f per image, %s per MAC\n",
		whole, batch, per(whole), perMAC(whole, macs, batch))
	fmt.Fprintf(w, "whole Infer, fastest of the 3 calls: %d instructions per call = %.0f per image, %s per MAC\n",
		call, per(call), perMAC(call, macs, batch))
	return nil
}

// perMAC formats instructions per multiply-accumulate, or "-" for layers
// without MACs.
func perMAC(instr uint64, macs int64, batch int) string {
	if macs == 0 {
		return "-"
	}
	return fmt.Sprintf("%.4f", float64(instr)/float64(batch)/float64(macs))
}
