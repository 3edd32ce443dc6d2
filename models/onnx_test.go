package models

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/analysis"
	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/ir"
)

// sharedModels is where ../shared/models (made by an independent tool,
// make_models.py, from torchvision's layouts) sits relative to this package.
var sharedModels = filepath.Join("..", "..", "shared", "models")

// structure renders a graph without node names: each node's op, attributes,
// constant names and shapes, and which earlier node (by position) or graph
// input each data input comes from. Operands of commutative ops are sorted,
// since exporters order an SE scale and a residual either way.
func structure(g *ir.Graph) []string {
	pos := map[*ir.Node]int{}
	var lines []string
	for i, n := range g.Nodes {
		pos[n] = i
		var ins []string
		for _, v := range n.Inputs {
			switch {
			case v == nil:
				ins = append(ins, "_")
			case v.Const != nil:
				ins = append(ins, "$"+v.Name+v.Shape.String())
			case v.Producer == nil:
				ins = append(ins, "input")
			default:
				ins = append(ins, fmt.Sprintf("#%d", pos[v.Producer]))
			}
		}
		if n.Op == ir.OpAdd || n.Op == ir.OpMul {
			sort.Strings(ins)
		}
		lines = append(lines, fmt.Sprintf("#%d %s(%s)%s -> %v", i, n.Op, strings.Join(ins, ", "), n.AttrString(), n.Output().Shape))
	}
	return lines
}

// The zoo's four standard models have exactly the structure, constant
// names and shapes of the independently made ONNX models, and the analysis
// counts the same on both.
func TestMatchesSharedONNXModels(t *testing.T) {
	for _, name := range []string{"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"} {
		path := filepath.Join(sharedModels, name+".onnx")
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s not found (the shared test models are not installed): %v", path, err)
		}
		theirs, err := onnx.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := BuildSpec(name, BuildOptions{NoWeights: true})
		if err != nil {
			t.Fatal(err)
		}
		a, b := structure(ours), structure(theirs)
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("%s: node %d differs from %s:\nours:   %s (%s)\ntheirs: %s (%s)", name, i, path, a[i], ours.Nodes[i].Name, b[i], theirs.Nodes[i].Name)
			}
		}
		if len(a) != len(b) {
			t.Fatalf("%s: %d nodes, %s has %d", name, len(a), path, len(b))
		}
		ra, err := analysis.Analyze(ours)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := analysis.Analyze(theirs)
		if err != nil {
			t.Fatal(err)
		}
		if ra.MACs != rb.MACs || ra.Params != rb.Params || ra.Weights != rb.Weights {
			t.Errorf("%s: analysis ours %d/%d/%d, ONNX %d/%d/%d", name, ra.MACs, ra.Params, ra.Weights, rb.MACs, rb.Params, rb.Weights)
		}
	}
}
