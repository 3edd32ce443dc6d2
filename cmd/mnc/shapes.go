package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/ir"
)

// shapeFlag collects the repeatable -shape NAME=DIMS values in order.
type shapeFlag struct{ vals []shapeArg }

type shapeArg struct {
	name string // "" when the model has one input and the name was left out
	dims []int
}

const shapeUsage = "fix an input's shape, NAME=DIMS like x=1x3x224x224 (NAME= may be left out for a one-input model); repeatable: once per input, or several times for one input to run each shape"

func (s *shapeFlag) String() string {
	var parts []string
	for _, a := range s.vals {
		parts = append(parts, a.String())
	}
	return strings.Join(parts, " ")
}

func (a shapeArg) String() string {
	d := make([]string, len(a.dims))
	for k, v := range a.dims {
		d[k] = strconv.Itoa(v)
	}
	if a.name == "" {
		return strings.Join(d, "x")
	}
	return a.name + "=" + strings.Join(d, "x")
}

// Set parses NAME=DIMS (DIMS separated by x or commas, each a positive
// integer).
func (s *shapeFlag) Set(v string) error {
	name, dims := "", v
	if k := strings.LastIndexByte(v, '='); k >= 0 {
		name, dims = v[:k], v[k+1:]
		if name == "" {
			return fmt.Errorf("%q: empty input name before '='", v)
		}
	}
	if dims == "" {
		return fmt.Errorf("%q: no dimensions (want NAME=DIMS like x=1x3x224x224)", v)
	}
	var a shapeArg
	a.name = name
	norm := strings.NewReplacer("X", "x", ",", "x", "×", "x").Replace(dims)
	for _, f := range strings.Split(norm, "x") {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 || n > 1<<24 {
			return fmt.Errorf("%q: dimension %q is not a positive integer (want NAME=DIMS like x=1x3x224x224)", v, f)
		}
		a.dims = append(a.dims, n)
	}
	if len(a.dims) == 0 {
		return fmt.Errorf("%q: no dimensions (want NAME=DIMS like x=1x3x224x224)", v)
	}
	s.vals = append(s.vals, a)
	return nil
}

// sets resolves the -shape values against the model's input names into
// one shape assignment per run: an input given once keeps its shape in
// every set; inputs given k > 1 times take their i-th shape in set i (all
// such inputs must be given the same number of times). No -shape gives
// one empty set.
func (s *shapeFlag) sets(inputs []string) ([]map[string][]int, error) {
	if len(s.vals) == 0 {
		return []map[string][]int{nil}, nil
	}
	byName := map[string][][]int{}
	var order []string
	for _, a := range s.vals {
		name := a.name
		if name == "" {
			if len(inputs) != 1 {
				return nil, usagef("-shape %s: the model has %d inputs (%s): name one, NAME=DIMS", a, len(inputs), quoteAll(inputs))
			}
			name = inputs[0]
		}
		known := false
		for _, in := range inputs {
			known = known || in == name
		}
		if !known {
			return nil, usagef("-shape %s: the model has no input %q (its inputs: %s)", a, name, quoteAll(inputs))
		}
		if _, ok := byName[name]; !ok {
			order = append(order, name)
		}
		byName[name] = append(byName[name], a.dims)
	}
	n := 1
	for _, name := range order {
		if k := len(byName[name]); k > 1 {
			if n > 1 && k != n {
				return nil, usagef("-shape: inputs given several shapes must be given the same number (%d and %d)", n, k)
			}
			n = k
		}
	}
	out := make([]map[string][]int, n)
	for i := range out {
		out[i] = map[string][]int{}
		for _, name := range order {
			d := byName[name]
			out[i][name] = d[min(i, len(d)-1)]
		}
	}
	return out, nil
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for k, n := range names {
		q[k] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func inputNames(g *ir.Graph) []string {
	var out []string
	for _, v := range g.Inputs {
		out = append(out, v.Name)
	}
	return out
}

// oneSet is sets for commands that take one shape per input.
func (s *shapeFlag) oneSet(inputs []string) (map[string][]int, error) {
	sets, err := s.sets(inputs)
	if err != nil {
		return nil, err
	}
	if len(sets) > 1 {
		return nil, usagef("-shape: give each input one shape here (only run and bench take several)")
	}
	return sets[0], nil
}

// shapeModel fixes g's input shapes: the given ones, then, for a model
// whose only unknown is the symbolic batch of its one input, the batch
// that the size of the -input file implies (input ""; batch 0 otherwise:
// the caller's default). A dimension still unknown is an error naming the
// input and the flag (ir.UnboundError). A model that computes with its
// batch (its graph is unbound until the batch is known) is specialized at
// batchFlag (-batch), else the inferred batch, else 1.
func shapeModel(g *ir.Graph, shapes map[string][]int, input string, batchFlag int) (*ir.Graph, int, error) {
	if len(shapes) > 0 {
		h, err := mnc.Specialize(g, shapes)
		if err != nil {
			var ue *ir.UnboundError
			if errors.As(err, &ue) {
				return nil, 0, err
			}
			return nil, 0, fmt.Errorf("-shape: %w", err)
		}
		g = h
	}
	batch := 0
	if input != "" && len(g.Inputs) == 1 {
		n, err := batchFromFile(g.Inputs[0], input)
		if err != nil {
			return nil, 0, err
		}
		batch = n
	}
	if g.Unbound != nil {
		onlyBatch := len(g.Inputs) == 1 && g.Unbound.Shape[0] < 0
		for _, d := range g.Unbound.Shape[1:] {
			onlyBatch = onlyBatch && d >= 0
		}
		if !onlyBatch {
			return nil, 0, g.Unbound
		}
		if batchFlag > 0 {
			batch = batchFlag
		}
		if batch == 0 {
			batch = 1 // as for any symbolic batch with the built-in input
		}
		s := append([]int{batch}, g.Inputs[0].Shape[1:]...)
		h, err := mnc.Specialize(g, map[string][]int{g.Inputs[0].Name: s})
		if err != nil {
			return nil, 0, err
		}
		return h, batch, nil
	}
	return g, batch, nil
}

// batchFromFile is the batch that the size of the input file implies for
// v when its symbolic batch is its only unknown dimension (0 otherwise).
func batchFromFile(v *ir.Value, input string) (int, error) {
	s := v.Shape
	if len(s) == 0 || s[0] >= 0 {
		return 0, nil
	}
	per := 1
	for _, d := range s[1:] {
		if d < 0 {
			return 0, nil
		}
		per *= d
	}
	st, err := os.Stat(input)
	if err != nil {
		return 0, fmt.Errorf("-input: %w", err)
	}
	if st.Size() == 0 || st.Size()%int64(4*per) != 0 {
		return 0, fmt.Errorf("-input %s: %d bytes is not a whole number of input %q's samples %v (%d float32 values, %d bytes each); give the shape with -shape %s=DIMS",
			input, st.Size(), v.Name, s, per, 4*per, v.Name)
	}
	return int(st.Size() / int64(4*per)), nil
}
