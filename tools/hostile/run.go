//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxSeconds is how long a command may run, or take to stop after Ctrl-C,
// before it counts as hung.
const maxSeconds = 5

// maxRSS is the most resident memory a command may reach.
const maxRSS = 512 << 20

// outcome is what running one case gave.
type outcome struct {
	code    int     // exit code; -1 if killed
	seconds float64 // until exit, or from Ctrl-C to exit for a live case
	peakRSS int64   // bytes (getrusage of the child)
	stdout  string
	stderr  string
	hung    bool
	err     error // the case's own checks, or the failure to run it
}

// process is a running command, for the live part of a case.
type process struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed and replaced on every new stderr line
}

// waitFor waits until a stderr line matches re and returns its submatches.
func (p *process) waitFor(ctx context.Context, re *regexp.Regexp) ([]string, error) {
	for seen := 0; ; {
		p.mu.Lock()
		lines, more := p.lines, p.more
		p.mu.Unlock()
		for ; seen < len(lines); seen++ {
			if m := re.FindStringSubmatch(lines[seen]); m != nil {
				return m, nil
			}
		}
		select {
		case <-more:
		case <-ctx.Done():
			return nil, fmt.Errorf("no line matching %q on stderr", re)
		}
	}
}

// runCase runs the case's command in dir and measures it.
func runCase(bin, dir string, c *hostileCase) outcome {
	cmd := exec.Command(bin, c.args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), c.env...)
	var stdout tail
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return outcome{err: err}
	}
	p := &process{cmd: cmd, more: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return outcome{err: err}
	}
	var stderr tail
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			stderr.Write(append(sc.Bytes(), '\n'))
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
		io.Copy(io.Discard, errPipe)
	}()
	exited := make(chan error, 1)
	go func() { <-read; exited <- cmd.Wait() }()

	var out outcome
	start := time.Now()
	if c.live != nil {
		ctx, cancel := context.WithTimeout(context.Background(), c.liveFor+maxSeconds*time.Second)
		out.err = c.live(ctx, p)
		cancel()
		cmd.Process.Signal(os.Interrupt) // Ctrl-C
		start = time.Now()
	}
	select {
	case <-exited:
	case <-time.After(maxSeconds * time.Second):
		out.hung = true
		cmd.Process.Kill()
		<-exited
	}
	out.seconds = time.Since(start).Seconds()
	out.code = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		out.peakRSS = int64(ru.Maxrss) << 10 // kilobytes on Linux
	}
	out.stdout, out.stderr = stdout.String(), stderr.String()
	return out
}

// failure returns why an outcome breaks the corpus's guarantees or the
// case's expectations, or nil.
func (c *hostileCase) failure(o outcome) error {
	switch {
	case o.err != nil:
		return o.err
	case panicked(o.stderr):
		return errors.New("panicked: " + firstLine(o.stderr[strings.Index(o.stderr, "panic"):]))
	case o.hung:
		return fmt.Errorf("hung: still running after %d s", maxSeconds)
	case o.peakRSS > maxRSS:
		return fmt.Errorf("peak RSS %d MB, over %d MB", o.peakRSS>>20, maxRSS>>20)
	case c.want.code >= 0 && o.code != c.want.code:
		return fmt.Errorf("exit code %d, want %d: %s", o.code, c.want.code, firstLine(o.stderr))
	}
	for _, s := range c.want.stderr {
		if !strings.Contains(o.stderr, s) {
			return fmt.Errorf("stderr lacks %q: %s", s, firstLine(o.stderr))
		}
	}
	for _, s := range c.want.notStderr {
		if strings.Contains(o.stderr, s) {
			return fmt.Errorf("stderr says %q: %s", s, firstLine(o.stderr))
		}
	}
	if c.after != nil {
		return c.after(o)
	}
	return nil
}

// panicked reports whether a Go program's stderr shows a panic or a fatal
// runtime error.
func panicked(stderr string) bool {
	return strings.Contains(stderr, "panic: ") || strings.Contains(stderr, "fatal error: ") ||
		strings.Contains(stderr, "goroutine 1 [")
}

// firstLine returns s's first non-empty line, shortened.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > 160 {
				line = line[:160] + "..."
			}
			return line
		}
	}
	return ""
}

// tail keeps the first and last 32 KiB written to it: enough for the
// messages, never the memory of a command that floods its output.
type tail struct {
	mu         sync.Mutex
	head, last []byte
	dropped    bool
}

const tailKeep = 32 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	written := len(p)
	if n := min(len(p), tailKeep-len(t.head)); n > 0 {
		t.head = append(t.head, p[:n]...)
		p = p[n:]
	}
	t.last = append(t.last, p...)
	if len(t.last) > tailKeep {
		t.last, t.dropped = t.last[len(t.last)-tailKeep:], true
	}
	return written, nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	sep := ""
	if t.dropped {
		sep = "\n...\n"
	}
	return string(t.head) + sep + string(t.last)
}
