package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/edgecnn/edgecnn/nn"
)

// printImported shows how the graph of an imported model maps to its
// layers: the source nodes each layer computes, and the nodes folded
// away (constants evaluated while reading, no-ops at inference).
func printImported(w io.Writer, m *nn.Model) error {
	im := m.Imported
	if im == nil {
		return nil
	}
	source := strings.ToUpper(im.Format)
	if im.Opset > 0 {
		source += fmt.Sprintf(" opset %d", im.Opset)
	}
	fmt.Fprintf(w, "\nimported from %s: %d nodes -> %d layers, %d nodes folded\n\n", source, im.Nodes, len(m.Nodes), len(im.Folded))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "layer\t%s nodes it computes\n", source)
	for _, n := range m.Nodes {
		fmt.Fprintf(tw, "%s\t%s\n", n.Name, strings.Join(n.From, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(im.Folded) == 0 {
		return nil
	}
	// Folded nodes by operator, the most frequent first.
	byOp := map[string][]string{}
	for _, f := range im.Folded {
		name, op := f, "?"
		if k := strings.LastIndex(f, " ("); k >= 0 && strings.HasSuffix(f, ")") {
			name, op = f[:k], f[k+2:len(f)-1]
		}
		byOp[op] = append(byOp[op], name)
	}
	ops := slices.SortedFunc(maps.Keys(byOp), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(byOp[b]), len(byOp[a])), cmp.Compare(a, b))
	})
	fmt.Fprintln(w, "\nfolded (constants evaluated while reading, operators without effect at inference):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, op := range ops {
		names := byOp[op]
		more := ""
		if len(names) > maxFoldedNames {
			names, more = names[:maxFoldedNames], fmt.Sprintf(" and %d more", len(names)-maxFoldedNames)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s%s\n", op, len(byOp[op]), strings.Join(names, ", "), more)
	}
	return tw.Flush()
}

// maxFoldedNames bounds the names listed per folded operator.
const maxFoldedNames = 4
