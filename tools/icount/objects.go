package main

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// object is an ELF file loaded into the counted program at base: the
// program itself (a static Go binary, or a non-PIE C one, at 0) or a shared
// library.
type object struct {
	name, path string
	base       uint64
	funcs      []function // sorted by start
	code       map[uint64]instruction
}

type function struct {
	lo, hi uint64 // [lo, hi) in the object's own addresses
	name   string
}

// instruction is one disassembled instruction, as llvm-mc reads it.
type instruction struct {
	op, args string
}

// loadObjects returns the objects of a run: exe alone, or those the
// program listed as "object NAME base ADDR" lines in listing (bench/xnnpack
// prints them), "(main)" being exe. A library NAME is looked up under
// prefix first (qemu's -L), then as it is.
func loadObjects(exe, listing, prefix string) ([]*object, error) {
	if listing == "" {
		o, err := openObject(filepath.Base(exe), exe, 0)
		if err != nil {
			return nil, err
		}
		return []*object{o}, nil
	}
	f, err := os.Open(listing)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var objs []*object
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) != 4 || p[0] != "object" || p[2] != "base" {
			continue
		}
		base, err := strconv.ParseUint(strings.TrimPrefix(p[3], "0x"), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad base in %q", listing, sc.Text())
		}
		path := p[1]
		switch {
		case path == "(main)":
			path = exe
		case fileExists(prefix + path):
			path = prefix + path
		}
		if !fileExists(path) {
			continue // the vDSO
		}
		o, err := openObject(filepath.Base(p[1]), path, base)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s: no \"object NAME base ADDR\" lines", listing)
	}
	slices.SortFunc(objs, func(a, b *object) int { return cmpUint(a.base, b.base) })
	return objs, nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// openObject reads the function symbols of an ELF file: its symbol table,
// or for a stripped library its dynamic symbols.
func openObject(name, path string, base uint64) (*object, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	o := &object{name: name, path: path, base: base}
	for _, read := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		syms, err := read()
		if err != nil {
			continue
		}
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Size > 0 {
				o.funcs = append(o.funcs, function{lo: s.Value, hi: s.Value + s.Size, name: s.Name})
			}
		}
	}
	slices.SortFunc(o.funcs, func(a, b function) int { return cmpUint(a.lo, b.lo) })
	o.funcs = slices.CompactFunc(o.funcs, func(a, b function) bool { return a.lo == b.lo })
	return o, nil
}

// objectAt returns the object that holds the run-time address vaddr.
func objectAt(objs []*object, vaddr uint64) *object {
	i, _ := slices.BinarySearchFunc(objs, vaddr, func(o *object, v uint64) int { return cmpUint(o.base, v+1) })
	if i == 0 {
		return nil
	}
	return objs[i-1]
}

// function names the function at the run-time address vaddr: its symbol,
// or for code no symbol covers (a stripped library's hidden functions) the
// gap between the symbols around it, which holds the unnamed function(s).
func (o *object) function(vaddr uint64) string {
	off := vaddr - o.base
	i, _ := slices.BinarySearchFunc(o.funcs, off, func(f function, v uint64) int { return cmpUint(f.lo, v+1) })
	if i > 0 && off < o.funcs[i-1].hi {
		return o.funcs[i-1].name
	}
	lo, hi := uint64(0), uint64(0)
	if i > 0 {
		lo = o.funcs[i-1].hi
	}
	if i < len(o.funcs) {
		hi = o.funcs[i].lo
	}
	if hi == 0 {
		return fmt.Sprintf("%s+%#x... (unnamed)", o.name, lo)
	}
	return fmt.Sprintf("%s+%#x..%#x (unnamed)", o.name, lo, hi)
}

// disassemble reads the object's code with aarch64-linux-gnu-objdump, once.
func (o *object) disassemble() error {
	if o.code != nil {
		return nil
	}
	out, err := exec.Command("aarch64-linux-gnu-objdump", "-d", "--no-show-raw-insn", o.path).Output()
	if err != nil {
		return fmt.Errorf("aarch64-linux-gnu-objdump -d %s: %w (apt-get install binutils-aarch64-linux-gnu)", o.path, err)
	}
	o.code = parseObjdump(string(out))
	return nil
}

var (
	objdumpLine = regexp.MustCompile(`^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$`)
	comment     = regexp.MustCompile(`\s*(//|;).*$`)
	symbolic    = regexp.MustCompile(`\s*<[^>]*>`)
	branchOp    = regexp.MustCompile(`^(b|bl|b\.\w+|cbz|cbnz|tbz|tbnz)$`)
	// A trailing bare hex address: the target of a branch or of adr, adrp
	// and literal loads, which llvm-mc would take as an absolute value.
	trailingAddr = regexp.MustCompile(`(^|,\s*)#?(0x)?[0-9a-f]+$`)
)

// parseObjdump maps each instruction address of objdump -d output to the
// instruction, with its comments and symbolic annotations removed and
// PC-relative targets replaced by the label "tgt".
func parseObjdump(out string) map[uint64]instruction {
	code := map[uint64]instruction{}
	for line := range strings.SplitSeq(out, "\n") {
		m := objdumpLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		addr, err := strconv.ParseUint(m[1], 16, 64)
		if err != nil {
			continue
		}
		op, args := m[2], symbolic.ReplaceAllString(comment.ReplaceAllString(m[3], ""), "")
		if branchOp.MatchString(op) || op == "adr" || op == "adrp" || strings.HasPrefix(op, "ldr") && !strings.Contains(args, "[") {
			args = trailingAddr.ReplaceAllString(args, "${1}tgt")
		}
		code[addr] = instruction{op: op, args: strings.TrimSpace(args)}
	}
	return code
}

// block returns the text of the ninsns instructions at vaddr, or false if
// any is missing from the disassembly.
func (o *object) block(vaddr uint64, ninsns int) ([]string, bool) {
	lines := make([]string, ninsns)
	for k := range ninsns {
		in, ok := o.code[vaddr-o.base+4*uint64(k)]
		if !ok {
			return nil, false
		}
		lines[k] = "\t" + in.op
		if in.args != "" {
			lines[k] += "\t" + in.args
		}
	}
	return lines, true
}
