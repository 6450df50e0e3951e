package main

import (
	"regexp"
	"strings"
	"testing"
)

// A plugin output of two counted calls of a three-layer program, with the
// program's own lines in between.
const pluginOut = `hello from the program
icount regions 2
icount region 0 1210
icount region 1 1190
icount segment 0 (begin) 20 10
icount segment 1 conv 1800 880
icount segment 2 pool 180 90
icount segment 3 linear 400 200
`

func TestParsePluginRun(t *testing.T) {
	r, err := parsePluginRun(strings.NewReader(pluginOut))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.regions) != 2 || r.mean() != 1200 {
		t.Errorf("regions %v, mean %v; want 2 regions of mean 1200", r.regions, r.mean())
	}
	if len(r.segments) != 4 || r.segments[1] != (segment{"conv", 1800, 880}) {
		t.Errorf("segments %v", r.segments)
	}
	for _, bad := range []string{
		"hello\n",                               // no plugin
		"icount regions 0\n",                    // nothing counted
		"icount regions 1\nicount region 0 x\n", // not a number
		"icount regions 1\nicount region 0 5\nicount segment 1 a 1 1\n", // out of order
	} {
		if _, err := parsePluginRun(strings.NewReader(bad)); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

func TestParseObjdump(t *testing.T) {
	code := parseObjdump(`
0000000000401000 <main.f>:
  401000:	ldr	q0, [x1], #16
  401004:	sdot	v0.4s, v1.16b, v2.4b[0]  // a comment
  401008:	adrp	x5, 111000 <foo@@Base+0x10>
  40100c:	b.ne	401000 <main.f>
  401010:	bl	402000 <main.g>
  401014:	ldr	x2, 401f00 <main.f+0xf00>
`)
	want := map[uint64]instruction{
		0x401000: {"ldr", "q0, [x1], #16"},
		0x401004: {"sdot", "v0.4s, v1.16b, v2.4b[0]"},
		0x401008: {"adrp", "x5, tgt"},
		0x40100c: {"b.ne", "tgt"},
		0x401010: {"bl", "tgt"},
		0x401014: {"ldr", "x2, tgt"},
	}
	for a, w := range want {
		if code[a] != w {
			t.Errorf("%#x: %+v, want %+v", a, code[a], w)
		}
	}
	o := &object{code: code, base: 0}
	lines, ok := o.block(0x401000, 2)
	if !ok || lines[1] != "\tsdot\tv0.4s, v1.16b, v2.4b[0]" {
		t.Errorf("block: %q %v", lines, ok)
	}
	if _, ok := o.block(0x401010, 3); ok {
		t.Error("a block running past the disassembly is not reported missing")
	}
}

func TestParseMCA(t *testing.T) {
	out := `
[0] Code Region - r0

Iterations:        100
Instructions:      200
Total Cycles:      103
Total uOps:        200

[1] Code Region - r1

Iterations:        100
Instructions:      300
Total Cycles:      250
`
	got, err := parseMCA(out)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 1.03 || got[1] != 2.5 {
		t.Errorf("cycles %v, want r0 1.03, r1 2.5", got)
	}
	if _, err := parseMCA("nothing"); err == nil {
		t.Error("no error for output without regions")
	}
}

// TestRegionReport reports a made-up run: blocks of two functions of a
// program, in four segments, three named by the layers.
func TestRegionReport(t *testing.T) {
	run, err := parsePluginRun(strings.NewReader(pluginOut))
	if err != nil {
		t.Fatal(err)
	}
	prog := &object{name: "prog", funcs: []function{{0x1000, 0x1100, "main.parse"}, {0x2000, 0x2040, "main.other"}}}
	// 2 calls: segment 1 runs parse 1800 instructions, segment 2 other 180,
	// segment 3 both (200 + 200), segment 0 other 20; and 8 instructions
	// outside any function.
	entries := []histEntry{{0x1000, 10, 1, 180}, {0x2000, 4, 2, 45}, {0x1008, 5, 3, 40}, {0x2000, 4, 3, 48},
		{0x3000, 8, 3, 1}, {0x2000, 4, 0, 5}}
	var out strings.Builder
	err = writeReport(&out, reportOptions{batch: 2, top: 5, groups: []group{{"parse", regexp.MustCompile(`parse`)}},
		layers: []layerInfo{{"conv1", 1000}, {"pool1", 0}, {"fc1", 100}}}, run, entries, []*object{prog})
	if err != nil {
		t.Fatal(err)
	}
	// Compare with the runs of spaces that align the columns taken out.
	var lines []string
	for l := range strings.SplitSeq(out.String(), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		"instructions per image: 600 (mean of 2 calls; the smallest call 595), 0.5455 per MAC",
		// group, instructions per image (2 calls of 2 images), share
		"parse 500 83.3%",
		"other 100 16.7%",
		// layer, MACs, per image, smallest call per image, per MAC, parse, other
		"(before the first layer) 0 5 5 - 0 5",
		"conv1 1000 450 440 0.4500 450 0",
		"pool1 0 45 45 - 0 45",
		"fc1 100 100 100 1.0000 50 50",
		"500 83.3% main.parse",
		"2 0.3% prog+0x2040... (unnamed)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

// TestJoinSplitBlocks joins a loop body that qemu split at a page
// boundary (0x1ff8) and leaves blocks that end in a branch, or start
// elsewhere, or run in another segment, alone.
func TestJoinSplitBlocks(t *testing.T) {
	texts := map[string][]string{}
	block := func(e histEntry, lines ...string) blockInfo {
		text := strings.Join(lines, "\n")
		texts[text] = lines
		return blockInfo{histEntry: e, text: text}
	}
	blocks := []blockInfo{
		block(histEntry{0x1ff8, 2, 1, 100}, "\tadd\tx0, x0, #1", "\tadd\tx1, x1, #1"), // split here
		block(histEntry{0x2000, 2, 1, 103}, "\tsubs\tx2, x2, #1", "\tb.ne\ttgt"),      // entered 3 more times
		block(histEntry{0x2008, 1, 1, 5}, "\tret"),                                    // after a branch
		block(histEntry{0x2000, 2, 2, 7}, "\tsubs\tx2, x2, #1", "\tb.ne\ttgt"),        // other segment
		block(histEntry{0x3000, 1, 1, 9}, "\tmov\tx3, x4"),                            // nothing follows
	}
	joinSplitBlocks(blocks, texts)
	want := "\tadd\tx0, x0, #1\n\tadd\tx1, x1, #1\n\tsubs\tx2, x2, #1\n\tb.ne\ttgt"
	for i, b := range blocks {
		if i < 2 {
			if b.joined != want || b.joinedExecs != 100 || b.share != 0.5 {
				t.Errorf("block %d: joined %q x%d share %v, want the loop x100 share 0.5", i, b.joined, b.joinedExecs, b.share)
			}
			continue
		}
		if b.joined != "" {
			t.Errorf("block %d joined to %q", i, b.joined)
		}
	}
	if len(texts[want]) != 4 {
		t.Errorf("joined text not added: %q", texts[want])
	}
}
