package onnx

import (
	"errors"
	"fmt"
	"strings"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
)

// slot is what an ONNX tensor name stands for while importing: an IR value
// (a graph input or a node's output, or a materialised constant) and/or a
// constant known at import time.
type slot struct {
	v *ir.Value
	c *cval
	// indices > 0: v holds ArgMax's int64 indices, 0 … indices−1, as
	// float32 integers (ops_argmax.go).
	indices int
}

type importer struct {
	g       *ir.Graph
	opset   int
	dir     string
	slots   map[string]*slot
	missing map[string]string   // outputs mnc does not compute → why
	shapes  map[string]ir.Shape // input shapes given by the user
	inits   *initCache          // decoded initializers shared by imports of one Model (nil: none)
	folded  int64               // bytes of the constants folded so far (see checkFold)
}

func (im *importer) initializers(gp *pb.GraphProto) error {
	// Each tensor is checked against the memory budget on its own; their
	// sum is checked here: external data can make a small file name the
	// same 64 MB of a weight file a hundred times.
	var total int64
	for k, t := range gp.GetInitializer() {
		if t.GetName() == "" {
			return fmt.Errorf("initializer %d has no name", k)
		}
		if _, dup := im.slots[t.GetName()]; dup {
			return fmt.Errorf("initializer %q is defined twice", t.GetName())
		}
		c, err := im.inits.decode(t, im.dir)
		if err != nil {
			return fmt.Errorf("initializer %d: %v", k, err)
		}
		total += int64(4*len(c.f) + 8*len(c.i))
		if err := limits.Check(0, fmt.Sprintf("the initializers up to %q", t.GetName()), total); err != nil {
			return err
		}
		im.slots[t.GetName()] = &slot{c: c}
	}
	if len(gp.GetSparseInitializer()) > 0 {
		return fmt.Errorf("sparse initializers are not supported")
	}
	return nil
}

// inputs declares the graph inputs that are not initializers (before IR
// version 4 every initializer was also listed as an input). Only float
// tensors are accepted. An input whose shape the user gave (im.shapes)
// takes it, overriding symbolic and fixed dimensions alike. Otherwise an
// unknown batch dimension (dim_param, 0 or -1) becomes -1, to be bound
// later with ir.Graph.SetBatch; any other unknown dimension fails with an
// *ir.UnboundError: shape inference needs it.
func (im *importer) inputs(gp *pb.GraphProto) error {
	declared := map[string]bool{}
	var unbound *ir.UnboundError
	for k, in := range gp.GetInput() {
		name := in.GetName()
		if name == "" {
			return fmt.Errorf("graph input %d has no name", k)
		}
		if declared[name] {
			return fmt.Errorf("graph input %q is declared twice", name)
		}
		if _, ok := im.slots[name]; ok {
			continue // an initializer listed as an input too (IR version < 4)
		}
		declared[name] = true
		tt := in.GetType().GetTensorType()
		if tt == nil {
			return fmt.Errorf("graph input %q is not a tensor", name)
		}
		switch pb.TensorProto_DataType(tt.GetElemType()) {
		case pb.TensorProto_FLOAT, pb.TensorProto_UNDEFINED:
		default:
			return fmt.Errorf("graph input %q has element type %v; mnc takes float inputs", name, pb.TensorProto_DataType(tt.GetElemType()))
		}
		if tt.GetShape() == nil {
			return fmt.Errorf("graph input %q has no shape", name)
		}
		dims := tt.GetShape().GetDim()
		given, isGiven := im.shapes[name]
		if isGiven && len(given) != len(dims) {
			return fmt.Errorf("graph input %q has %d dimensions, but its shape was given as %v", name, len(dims), given)
		}
		var shape []int
		var names []string
		open := false
		for k, d := range dims {
			v := int(d.GetDimValue())
			if isGiven {
				v = given[k]
				if v <= 0 {
					return fmt.Errorf("graph input %q: given shape %v has a dimension that is not positive", name, given)
				}
			} else if v <= 0 || d.GetDimParam() != "" {
				if k > 0 {
					open = true
				}
				v = -1
			}
			if v > maxElements {
				return fmt.Errorf("graph input %q: dimension %d is too large", name, v)
			}
			shape = append(shape, v)
			if v < 0 {
				names = append(names, d.GetDimParam())
			} else {
				names = append(names, "")
			}
		}
		if open && unbound == nil {
			unbound = &ir.UnboundError{Input: name, Shape: shape, Names: names}
		}
		im.slots[name] = &slot{v: im.g.AddInput(name, shape...)}
		if im.g.Inputs[len(im.g.Inputs)-1].Name != name {
			return fmt.Errorf("graph input name %q is used twice", name)
		}
	}
	for name := range im.shapes {
		if !declared[name] {
			var names []string
			for _, v := range im.g.Inputs {
				names = append(names, fmt.Sprintf("%q", v.Name))
			}
			return fmt.Errorf("the model has no input %q (its inputs: %s)", name, strings.Join(names, ", "))
		}
	}
	if unbound != nil {
		return unbound
	}
	return nil
}

// outputs marks the graph outputs, keeping their ONNX names: a node output
// is renamed when needed; an input or constant passed straight through gets
// an Identity node of that name.
func (im *importer) outputs(gp *pb.GraphProto) error {
	used := map[*ir.Value]bool{}
	isOutName := map[string]bool{}
	for _, o := range gp.GetOutput() {
		isOutName[o.GetName()] = true
	}
	for _, o := range gp.GetOutput() {
		name := o.GetName()
		s, ok := im.slots[name]
		if !ok {
			if why, ok := im.missing[name]; ok {
				return fmt.Errorf("graph output %q: %s", name, why)
			}
			return fmt.Errorf("graph output %q is not produced by any node", name)
		}
		if s.v == nil && s.c != nil {
			// A constant output (folded shape arithmetic): the Identity
			// that carries it gets the output's name.
			if _, err := im.value(s, name+"/value"); err != nil {
				return fmt.Errorf("graph output %q: %v", name, err)
			}
		}
		v, err := im.value(s, name)
		if err != nil {
			return fmt.Errorf("graph output %q: %v", name, err)
		}
		if v.IsConst() && v.Name == name {
			v.Name = im.g.UniqueName(name + "/value")
		}
		if v.Name != name || used[v] || v.Producer == nil {
			if v.Producer != nil && !used[v] && !im.isInput(v) && !isOutName[v.Name] {
				v.Name, v.Producer.Name = name, name
			} else {
				if v, err = im.emit(ir.OpIdentity, name, ir.Attrs{}, v); err != nil {
					return err
				}
			}
		}
		used[v] = true
		im.g.Outputs = append(im.g.Outputs, v)
	}
	if len(im.g.Outputs) == 0 {
		return fmt.Errorf("graph has no outputs")
	}
	return nil
}

func (im *importer) isInput(v *ir.Value) bool {
	for _, in := range im.g.Inputs {
		if in == v {
			return true
		}
	}
	return false
}

// value returns the IR value of a slot, turning an import-time constant
// into an IR constant the first time it is needed.
func (im *importer) value(s *slot, name string) (*ir.Value, error) {
	if s.v != nil {
		return s.v, nil
	}
	if s.c.hasSym() {
		return nil, fmt.Errorf("%q depends on a symbolic dimension and cannot be a tensor", name)
	}
	s.v = im.g.AddConst(name, s.c.tensor())
	return s.v, nil
}

// emit adds an IR node and infers its output shape at once, so that later
// nodes (Shape, auto_pad) see it and shape errors name this node.
func (im *importer) emit(op ir.Op, name string, a ir.Attrs, in ...*ir.Value) (*ir.Value, error) {
	v := im.g.AddNode(op, name, a, in...)
	s, err := ir.InferNode(v.Producer)
	if err != nil {
		var se *ir.ShapeError
		if errors.As(err, &se) && se.Node == name {
			return nil, errors.New(se.Msg) // the caller names the ONNX node
		}
		return nil, err
	}
	v.Shape = s
	return v, nil
}

// convert imports one node: it folds it when every input is known at import
// time and the op has a folder, and otherwise converts it to IR nodes.
func (im *importer) convert(n *pb.NodeProto) error {
	ctx := &nodeCtx{im: im, n: n, a: nodeAttrs(n)}
	for _, in := range n.GetInput() {
		if in == "" {
			ctx.in = append(ctx.in, nil)
			continue
		}
		s, ok := im.slots[in]
		if !ok {
			if why, ok := im.missing[in]; ok {
				return fmt.Errorf("input %q: %s", in, why)
			}
			return fmt.Errorf("input %q is not defined", in)
		}
		ctx.in = append(ctx.in, s)
	}
	if len(n.GetOutput()) == 0 || n.GetOutput()[0] == "" {
		return fmt.Errorf("node has no output")
	}
	op, _ := opFor(n)
	if err := checkIndexReaders(ctx); err != nil {
		return err
	}
	if err := op.convert(ctx); err != nil {
		return err
	}
	keepIndices(ctx)
	if ctx.a.err != nil {
		return ctx.a.err
	}
	for _, s := range ctx.out {
		if s != nil && s.c != nil {
			im.folded += int64(s.c.size()) * 8
		}
	}
	if err := limits.Check(0, "the constants folded at import", im.folded); err != nil {
		return err
	}
	for k, o := range n.GetOutput() {
		if o == "" {
			continue
		}
		if _, dup := im.slots[o]; dup {
			return fmt.Errorf("output %q is already defined", o)
		}
		if k < len(ctx.out) && ctx.out[k] != nil {
			im.slots[o] = ctx.out[k]
		} else {
			im.missing[o] = fmt.Sprintf("output %d of node %s is not supported by mnc", k, describe(n))
		}
	}
	return nil
}
