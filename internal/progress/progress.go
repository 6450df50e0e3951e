// Package progress reports long work: a bar redrawn in place on a terminal,
// plain lines (at most one per tenth of the work) when the output is a file
// or a pipe, so logs stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// Bar tracks one task of total units.
type Bar struct {
	w        io.Writer
	tty      bool
	label    string
	total    int
	start    time.Time
	lastDraw time.Time
	lastStep int // last tenth printed in plain mode
}

// New starts a bar writing to w; it draws in place only when w is a terminal.
func New(w io.Writer, label string, total int) *Bar {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &Bar{w: w, tty: tty, label: label, total: max(total, 1), start: time.Now(), lastStep: -1}
}

// Update reports done units and an optional note (e.g. the current loss).
func (b *Bar) Update(done int, note string) {
	now := time.Now()
	if b.tty {
		if now.Sub(b.lastDraw) < 100*time.Millisecond && done < b.total {
			return
		}
		b.lastDraw = now
		const width = 30
		filled := width * done / b.total
		fmt.Fprintf(b.w, "\r%s [%s%s] %d/%d %s %s\033[K", b.label, strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
			done, b.total, b.eta(done), note)
		return
	}
	if step := 10 * done / b.total; step != b.lastStep {
		b.lastStep = step
		fmt.Fprintf(b.w, "%s %d/%d (%d%%) %s %s\n", b.label, done, b.total, 100*done/b.total, b.eta(done), note)
	}
}

// Done ends the bar's line on a terminal.
func (b *Bar) Done() {
	if b.tty {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

func (b *Bar) eta(done int) string {
	elapsed := time.Since(b.start)
	if done == 0 {
		return ""
	}
	left := time.Duration(float64(elapsed) * float64(b.total-done) / float64(done))
	return "eta " + left.Round(time.Second).String()
}
