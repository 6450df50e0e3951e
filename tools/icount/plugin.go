package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// pluginRun is what the plugin prints at exit: the instructions of every
// counted region, and per segment (the part of a region between two marks)
// the sum over the regions and the smallest of one region.
type pluginRun struct {
	regions  []uint64
	segments []segment
	migrated uint64
}

type segment struct {
	name     string
	sum, min uint64
}

// mean is the mean instructions of a region.
func (r *pluginRun) mean() float64 {
	var s uint64
	for _, v := range r.regions {
		s += v
	}
	return float64(s) / float64(len(r.regions))
}

func readPluginRun(path string) (*pluginRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := parsePluginRun(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// parsePluginRun reads the "icount ..." lines of the plugin's output;
// other lines (the program's own) are skipped.
func parsePluginRun(rd io.Reader) (*pluginRun, error) {
	r := &pluginRun{}
	sawRegions := false
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] != "icount" {
			continue
		}
		bad := fmt.Errorf("bad plugin line %q", sc.Text())
		switch f[1] {
		case "regions":
			sawRegions = true
		case "region":
			if len(f) != 4 {
				return nil, bad
			}
			v, err := parseUint(f[3])
			if err != nil {
				return nil, err
			}
			r.regions = append(r.regions, v)
		case "segment":
			if len(f) != 6 {
				return nil, bad
			}
			k, err := strconv.Atoi(f[2])
			if err != nil || k != len(r.segments) {
				return nil, fmt.Errorf("segment %s out of order", f[2])
			}
			s := segment{name: f[3]}
			if s.sum, err = parseUint(f[4]); err != nil {
				return nil, err
			}
			if s.min, err = parseUint(f[5]); err != nil {
				return nil, err
			}
			r.segments = append(r.segments, s)
		case "migrated":
			v, err := parseUint(f[2])
			if err != nil {
				return nil, err
			}
			r.migrated = v
		default:
			return nil, bad
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !sawRegions {
		return nil, fmt.Errorf("no \"icount regions\" line: did qemu run with the plugin?")
	}
	if len(r.regions) == 0 {
		return nil, fmt.Errorf("no region was counted: did the program reach the begin and end marks?")
	}
	return r, nil
}

// histEntry is one line of the plugin's histogram: a translated block (a
// basic block: qemu ends one at every branch) and how often it ran in one
// segment, summed over the regions.
type histEntry struct {
	vaddr  uint64
	ninsns int
	seg    int
	execs  uint64
}

func readHist(path string) ([]histEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []histEntry
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			return nil, fmt.Errorf("%s:%d: want VADDR NINSNS SEGMENT EXECUTIONS", path, line)
		}
		var e histEntry
		var err error
		if e.vaddr, err = strconv.ParseUint(f[0], 16, 64); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		n, err1 := strconv.Atoi(f[1])
		s, err2 := strconv.Atoi(f[2])
		x, err3 := parseUint(f[3])
		if err1 != nil || err2 != nil || err3 != nil || n <= 0 || s < 0 {
			return nil, fmt.Errorf("%s:%d: bad line %q", path, line, sc.Text())
		}
		e.ninsns, e.seg, e.execs = n, s, x
		out = append(out, e)
	}
	return out, sc.Err()
}

// parseUint parses a decimal count of the plugin's output.
func parseUint(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad count %q", s)
	}
	return v, nil
}
