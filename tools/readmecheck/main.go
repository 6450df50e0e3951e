// Command readmecheck runs every command of README.md as written, so that the
// README cannot drift from the program:
//
//	go run ./tools/readmecheck [-dir CLONE] README.md COMMANDS
//
// A README command is a line of a ```sh block (continuation lines joined,
// trailing # comments dropped) or an inline code span that starts with
// "edgecnn ", "./edgecnn ", "go " or "GOOS=". COMMANDS lists each one with how
// CI runs it:
//
//	run: COMMAND              as written
//	run ARGS: COMMAND         as written with ARGS appended (small limits)
//	skip REASON: COMMAND      not run, and why (a camera, a Pi, another machine)
//	setup: SHELL              not a README command: prepares the next ones
//
// The check fails if a README command is missing from COMMANDS (a new
// command must say how it is tested), if COMMANDS names one the README no
// longer has, or if a command fails. Commands run in order with bash in DIR
// (a fresh clone), with DIR first on PATH so that "edgecnn" is the binary
// the README's go build made.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// timeout bounds one command.
const timeout = 5 * time.Minute

// entry is one line of COMMANDS.
type entry struct {
	kind    string // run, skip or setup
	extra   string // run: the appended arguments; skip: the reason
	command string
	line    int
}

func main() {
	dir := flag.String("dir", ".", "folder to run the commands in (a fresh clone of the repository)")
	list := flag.Bool("list", false, "only print the README's commands")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./tools/readmecheck [-dir CLONE] [-list] README.md COMMANDS")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 && !(*list && flag.NArg() >= 1) {
		flag.Usage()
		os.Exit(2)
	}
	readme, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fatal(err)
	}
	cmds := readmeCommands(string(readme))
	if *list {
		for _, c := range cmds {
			fmt.Println(c)
		}
		return
	}
	entries, err := readEntries(flag.Arg(1))
	if err != nil {
		fatal(err)
	}
	if err := checkCoverage(cmds, entries, flag.Arg(1)); err != nil {
		fatal(err)
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fatal(err)
	}
	if err := runAll(entries, abs); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "readmecheck:", err)
	os.Exit(1)
}

// inlineCommand matches an inline code span that is a command.
var inlineCommand = regexp.MustCompile("`((?:\\./)?edgecnn [^`]+|go [^`]+|GOOS=[^`]+)`")

// readmeCommands returns the README's commands in order, once each.
func readmeCommands(readme string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(c string) {
		if c = strings.TrimSpace(c); c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	inSh, inOther := false, false
	var cont strings.Builder
	for line := range strings.Lines(readme) {
		line = strings.TrimRight(line, "\n")
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```") && !inSh && !inOther:
			inSh = trimmed == "```sh" || trimmed == "```bash"
			inOther = !inSh
		case strings.HasPrefix(trimmed, "```"):
			inSh, inOther = false, false
		case inSh:
			if strings.HasPrefix(trimmed, "#") || trimmed == "" {
				continue
			}
			code := stripComment(line)
			if c, ok := strings.CutSuffix(strings.TrimSpace(code), "\\"); ok {
				cont.WriteString(strings.TrimSpace(c) + " ")
				continue
			}
			cont.WriteString(strings.TrimSpace(code))
			add(cont.String())
			cont.Reset()
		case !inOther:
			for _, m := range inlineCommand.FindAllStringSubmatch(line, -1) {
				add(m[1])
			}
		}
	}
	return out
}

// stripComment drops a trailing " # comment" outside quotes.
func stripComment(line string) string {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && i > 0 && (line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i]
		}
	}
	return line
}

// entryLine matches "KIND[ EXTRA]: COMMAND".
var entryLine = regexp.MustCompile(`^(run|skip|setup)(?: ([^:]*))?: (.+)$`)

func readEntries(path string) ([]entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []entry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := entryLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: want run[ ARGS]:, skip REASON: or setup: before the command, got %q", path, n, line)
		}
		e := entry{kind: m[1], extra: strings.TrimSpace(m[2]), command: strings.TrimSpace(m[3]), line: n}
		if e.kind == "skip" && e.extra == "" {
			return nil, fmt.Errorf("%s:%d: a skip says why", path, n)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// checkCoverage reports README commands COMMANDS does not list, and listed
// commands the README does not have.
func checkCoverage(cmds []string, entries []entry, path string) error {
	listed := map[string]bool{}
	var errs []error
	inReadme := map[string]bool{}
	for _, c := range cmds {
		inReadme[c] = true
	}
	for _, e := range entries {
		if e.kind == "setup" {
			continue
		}
		listed[e.command] = true
		if !inReadme[e.command] {
			errs = append(errs, fmt.Errorf("%s:%d: %q is not a README command (any more?)", path, e.line, e.command))
		}
	}
	for _, c := range cmds {
		if !listed[c] {
			errs = append(errs, fmt.Errorf("README command not covered by %s: add \"run: %s\" (or run ARGS:, or skip REASON:)", path, c))
		}
	}
	return errors.Join(errs...)
}

// runAll runs the entries in order in dir.
func runAll(entries []entry, dir string) error {
	env := append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	ran, skipped := 0, 0
	for _, e := range entries {
		script := e.command
		switch e.kind {
		case "skip":
			fmt.Printf("-- skip (%s): %s\n", e.extra, e.command)
			skipped++
			continue
		case "run":
			if e.extra != "" {
				script += " " + e.extra
			}
		}
		fmt.Printf("-- %s: %s\n", e.kind, script)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = dir, env
		cmd.Stdout, cmd.Stderr = &tail{w: os.Stdout}, &tail{w: os.Stdout}
		err := cmd.Run()
		cancel()
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", e.line, script, err)
		}
		fmt.Printf("   ok in %.1fs\n", time.Since(start).Seconds())
		if e.kind == "run" {
			ran++
		}
	}
	fmt.Printf("README: ran %d commands as written, skipped %d\n", ran, skipped)
	return nil
}

// tail passes output through, indented, cut after 20 lines per command so a
// chatty one does not flood the log.
type tail struct {
	w     *os.File
	lines int
	part  bool // the last write did not end a line
}

func (t *tail) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		if !t.part {
			t.lines++
			if t.lines == 21 {
				fmt.Fprintln(t.w, "   ...")
			}
		}
		if t.lines <= 20 {
			if !t.part {
				fmt.Fprint(t.w, "   ")
			}
			fmt.Fprint(t.w, line)
		}
		t.part = !strings.HasSuffix(line, "\n")
	}
	return len(p), nil
}
