package ir

import (
	"fmt"
	"strconv"
	"strings"
)

// UnboundError says that a graph input has dimensions nobody has fixed: a
// model declares them symbolic (ONNX dim_param) and the user must give
// them (mnc's -shape flag, mnc.Options.Shapes, Graph.Specialize).
type UnboundError struct {
	Input string
	Shape Shape    // -1 for each unknown dimension
	Names []string // the model's name of each unknown dimension ("" when it has none or is known)
	Why   string   // when set, why the dimensions are needed (the graph computes with them)
}

func (e *UnboundError) Error() string {
	dims := make([]string, len(e.Shape))
	tmpl := make([]string, len(e.Shape))
	var unknown []string
	for k, d := range e.Shape {
		if d >= 0 {
			dims[k] = strconv.Itoa(d)
			tmpl[k] = dims[k]
			continue
		}
		name := "?"
		if k < len(e.Names) && e.Names[k] != "" {
			name = e.Names[k]
		}
		dims[k] = name
		tmpl[k] = dimLetter(k, len(e.Shape))
		unknown = append(unknown, strconv.Itoa(k))
	}
	what := "dimension " + unknown[0]
	if len(unknown) > 1 {
		what = "dimensions " + strings.Join(unknown, ", ")
	}
	why := ""
	if e.Why != "" {
		why = ", which the graph computes with (" + e.Why + ")"
	}
	return fmt.Sprintf("input %q [%s] has symbolic %s%s: give its shape with -shape %s=%s (Options.Shapes in the Go API)",
		e.Input, strings.Join(dims, " "), what, why, e.Input, strings.Join(tmpl, "x"))
}

// dimLetter names dimension k of a rank-r shape in the usage hint: N, C, H,
// W for images, D0, D1... otherwise.
func dimLetter(k, r int) string {
	if r == 4 {
		return string("NCHW"[k])
	}
	if k == 0 {
		return "N"
	}
	return "D" + strconv.Itoa(k)
}

// CheckShapes checks that every name in shapes is an input of g, of the
// input's rank, with positive dimensions; errors name the input.
func (g *Graph) CheckShapes(shapes map[string]Shape) error {
	for name, s := range shapes {
		var in *Value
		for _, v := range g.Inputs {
			if v.Name == name {
				in = v
			}
		}
		if in == nil {
			var names []string
			for _, v := range g.Inputs {
				names = append(names, strconv.Quote(v.Name))
			}
			return fmt.Errorf("the model has no input %q (its inputs: %s)", name, strings.Join(names, ", "))
		}
		if len(s) != len(in.Shape) {
			return fmt.Errorf("input %q has %d dimensions %v, but its shape was given as %v", name, len(in.Shape), in.Shape, s)
		}
		for _, d := range s {
			if d <= 0 {
				return fmt.Errorf("input %q: shape %v has a dimension that is not positive", name, s)
			}
		}
	}
	return nil
}

// Specialize returns a graph whose inputs have the given shapes (inputs
// not named keep theirs) with every shape inferred again; g is not
// changed. A graph with Rebuild is built again from its source, so
// constants folded from shapes are recomputed; any other graph is copied
// and its shapes re-inferred. A node that constrains a dimension the new
// shape contradicts (a Reshape target, a fixed Gemm width) is an error
// that names it.
func (g *Graph) Specialize(shapes map[string]Shape) (*Graph, error) {
	if err := g.CheckShapes(shapes); err != nil {
		return nil, err
	}
	if g.Rebuild != nil {
		return g.Rebuild(shapes)
	}
	if g.Unbound != nil {
		return nil, g.Unbound
	}
	h := g.Clone()
	for _, v := range h.Inputs {
		if s, ok := shapes[v.Name]; ok {
			v.Shape = s.Clone()
		}
	}
	if err := h.InferShapes(); err != nil {
		return nil, err
	}
	return h, nil
}
