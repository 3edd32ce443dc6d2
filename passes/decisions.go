package passes

import (
	"fmt"
	"io"
	"strings"

	"github.com/mnc-go/mnc/ir"
)

// The fusion decisions are in the graph (epilogues in Attrs.Fused, SE
// scales in Attrs.SE: the graph dump shows them and ir.InferNode checks
// them). The decisions passes record beside the graph (State.Fused, what
// each node absorbed, for summaries; lower-conv's Algo; choose-layout's
// NHWC) are part of what a pass produced too: -dump-after prints them
// under the graph, one line per node, and checkDecisions runs after every
// pass with the graph's Verify. Entries of nodes a later pass removed are
// inert and not checked.

// dumpDecisions writes the recorded decisions of the graph's live nodes,
// in node order.
func (s *State) dumpDecisions(w io.Writer) {
	for _, n := range s.G.Nodes {
		var d []string
		if f := s.Fused[n]; len(f) > 0 {
			d = append(d, "fused="+strings.Join(f, "+"))
		}
		if a, ok := s.Algo[n]; ok {
			d = append(d, "algo="+a)
		}
		if len(n.Outputs) == 1 && s.NHWC[n.Output()] {
			d = append(d, "nhwc")
		}
		if len(d) > 0 {
			fmt.Fprintf(w, "// %s: %s\n", n.Name, strings.Join(d, " "))
		}
	}
}

// checkDecisions checks the recorded decisions against the graph.
func (s *State) checkDecisions() error {
	for _, n := range s.G.Nodes {
		if a, ok := s.Algo[n]; ok {
			valid := map[ir.Op][]string{ir.OpConv: {"gemm", "dwconv", "conv", "generic"}, ir.OpGemm: {"gemm", "generic"}}[n.Op]
			found := false
			for _, v := range valid {
				found = found || v == a
			}
			if !found {
				return fmt.Errorf("node %q (%s): algorithm %q", n.Name, n.Op, a)
			}
		}
	}
	return nil
}
