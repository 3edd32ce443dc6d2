package passes

import (
	"fmt"
	"io"
	"strings"
)

// The passes' decisions are in the graph (epilogues in Attrs.Fused, SE
// scales in Attrs.SE, lower-conv's Attrs.Algo, choose-layout's
// Value.NHWC: the graph dump shows them and ir.InferNode checks them).
// What each node absorbed (State.Fused, the summary's "bn+relu6") is
// recorded beside the graph: -dump-after prints it under the graph, one
// line per node.

// dumpDecisions writes what the graph's live nodes absorbed, in node order.
func (s *State) dumpDecisions(w io.Writer) {
	for _, n := range s.G.Nodes {
		if f := s.Fused[n]; len(f) > 0 {
			fmt.Fprintf(w, "// %s: fused=%s\n", n.Name, strings.Join(f, "+"))
		}
	}
}
