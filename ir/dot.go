package ir

import (
	"fmt"
	"io"
	"strings"
)

// WriteDOT writes the graph in Graphviz DOT form: one box per node labelled
// with its op, attributes and output shape; constants are left out to keep
// the picture readable (they appear as the node's parameter shapes).
func (g *Graph) WriteDOT(w io.Writer) error { return g.WriteDOTAnnotated(w, nil) }

// WriteDOTAnnotated is WriteDOT with note adding lines to a node's label
// and a fill colour (an X11 colour name, "" for none); note may be nil.
func (g *Graph) WriteDOTAnnotated(w io.Writer, note func(*Node) (lines []string, fill string)) error {
	q := func(s string) string {
		// Escape backslashes and quotes; newlines become DOT's \n line breaks.
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
	}
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n", q(g.Name))
	for _, v := range g.Inputs {
		fmt.Fprintf(&b, "  %s [shape=ellipse, label=%s];\n", q("in:"+v.Name), q(v.Name+"\n"+v.Shape.String()))
	}
	for _, n := range g.Nodes {
		label := n.Name + "\n" + n.Op.String() + n.AttrString() + "\n" + n.Output().Shape.String()
		style := ""
		if note != nil {
			lines, fill := note(n)
			for _, l := range lines {
				label += "\n" + l
			}
			if fill != "" {
				style = ", style=filled, fillcolor=" + q(fill)
			}
		}
		fmt.Fprintf(&b, "  %s [label=%s%s];\n", q("n:"+n.Name), q(label), style)
	}
	for i, v := range g.Outputs {
		fmt.Fprintf(&b, "  %s [shape=ellipse, label=%s];\n", q(fmt.Sprintf("out:%d", i)), q(v.Name+"\n"+v.Shape.String()))
	}
	src := func(v *Value) string {
		if v.Producer != nil {
			return q("n:" + v.Producer.Name)
		}
		return q("in:" + v.Name)
	}
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v == nil || v.Const != nil {
				continue
			}
			fmt.Fprintf(&b, "  %s -> %s;\n", src(v), q("n:"+n.Name))
		}
	}
	for i, v := range g.Outputs {
		if v.Const == nil {
			fmt.Fprintf(&b, "  %s -> %s;\n", src(v), q(fmt.Sprintf("out:%d", i)))
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
