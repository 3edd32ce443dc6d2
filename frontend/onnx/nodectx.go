package onnx

import (
	"fmt"
	"sort"
	"strings"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
)

// nodeCtx is one ONNX node being converted: its inputs resolved to slots,
// its attributes, and the outputs the converter sets.
type nodeCtx struct {
	im  *importer
	n   *pb.NodeProto
	a   *attrs
	in  []*slot // nil for absent optional inputs
	out []*slot
}

func (c *nodeCtx) opset() int { return c.im.opset }

// input returns input i or nil when it is absent or empty.
func (c *nodeCtx) input(i int) *slot {
	if i < len(c.in) {
		return c.in[i]
	}
	return nil
}

func (c *nodeCtx) inName(i int) string {
	if i < len(c.n.GetInput()) {
		return c.n.GetInput()[i]
	}
	return fmt.Sprintf("#%d", i)
}

// need checks that inputs 0..k-1 are present.
func (c *nodeCtx) need(k int) error {
	for i := 0; i < k; i++ {
		if c.input(i) == nil {
			return fmt.Errorf("required input %d is missing", i)
		}
	}
	return nil
}

// allConst reports whether every present input is known at import time.
func (c *nodeCtx) allConst() bool {
	for _, s := range c.in {
		if s != nil && s.c == nil {
			return false
		}
	}
	return true
}

// dyn returns input i as an IR value (constants are materialised).
func (c *nodeCtx) dyn(i int) (*ir.Value, error) {
	s := c.input(i)
	if s == nil {
		return nil, fmt.Errorf("required input %d is missing", i)
	}
	return c.im.value(s, c.inName(i))
}

// optDyn is dyn for an optional input: nil when absent.
func (c *nodeCtx) optDyn(i int) (*ir.Value, error) {
	if c.input(i) == nil {
		return nil, nil
	}
	return c.dyn(i)
}

// konst returns input i, which mnc needs to know at import time.
func (c *nodeCtx) konst(i int) (*cval, error) {
	s := c.input(i)
	if s == nil {
		return nil, fmt.Errorf("required input %d is missing", i)
	}
	if s.c == nil {
		return nil, fmt.Errorf("input %d (%q) must be a constant (an initializer, a Constant node or foldable shape arithmetic)", i, c.inName(i))
	}
	return s.c, nil
}

// needConst checks that the given (present) inputs are constants: mnc
// compiles Conv weights and BatchNorm parameters ahead of time, so a graph
// input in their place is refused here rather than miscompiled later.
func (c *nodeCtx) needConst(what string, idx ...int) error {
	for _, i := range idx {
		if s := c.input(i); s != nil && s.c == nil {
			return fmt.Errorf("%s %q (input %d) must be a constant (an initializer): mnc compiles weights ahead of time", what, c.inName(i), i)
		}
	}
	return nil
}

// konstInts returns a constant integer input as ints (nil when absent).
func (c *nodeCtx) konstInts(i int) ([]int, error) {
	if c.input(i) == nil {
		return nil, nil
	}
	k, err := c.konst(i)
	if err != nil {
		return nil, err
	}
	v, err := k.ints(false)
	if err != nil {
		return nil, fmt.Errorf("input %d (%q): %v", i, c.inName(i), err)
	}
	return v, nil
}

func (c *nodeCtx) outName() string { return c.n.GetOutput()[0] }

func (c *nodeCtx) setVal(v *ir.Value) { c.out = []*slot{{v: v}} }

func (c *nodeCtx) setConst(k *cval) { c.out = []*slot{{c: k}} }

// alias makes the node's first output stand for input i (Identity, Dropout,
// float-to-float Cast).
func (c *nodeCtx) alias(i int) error {
	if c.input(i) == nil {
		return fmt.Errorf("required input %d is missing", i)
	}
	c.out = []*slot{c.input(i)}
	return nil
}

// emit adds the node's final IR node, named after its first output.
func (c *nodeCtx) emit(op ir.Op, a ir.Attrs, in ...*ir.Value) error {
	v, err := c.im.emit(op, c.outName(), a, in...)
	if err != nil {
		return err
	}
	c.setVal(v)
	return nil
}

// emitStep adds an intermediate IR node of a multi-node expansion.
func (c *nodeCtx) emitStep(op ir.Op, suffix string, a ir.Attrs, in ...*ir.Value) (*ir.Value, error) {
	return c.im.emit(op, c.outName()+"/"+suffix, a, in...)
}

// opDef is how one ONNX operator is imported.
type opDef struct {
	convert func(c *nodeCtx) error
}

// checkSupported lists every node whose operator mnc does not import, all
// at once, so a user sees the whole gap in one run.
func checkSupported(gp *pb.GraphProto) error {
	var bad []string
	for k, n := range gp.GetNode() {
		d := n.GetDomain()
		if _, ok := opFor(n); !ok {
			name := n.GetName()
			if name == "" {
				name = fmt.Sprintf("#%d", k)
				if len(n.GetOutput()) > 0 {
					name = "→" + n.GetOutput()[0]
				}
			}
			op := n.GetOpType()
			if d != "" && d != "ai.onnx" {
				op = d + "." + op
			}
			bad = append(bad, fmt.Sprintf("node %q (%s)", name, op))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("unsupported operators: %s", strings.Join(bad, ", "))
	}
	return nil
}

// SupportedOps lists the ONNX operators the importer reads.
func SupportedOps() []string {
	var out []string
	for k := range opTable {
		out = append(out, k)
	}
	for _, op := range ir.Ops() {
		if _, ok := registeredActivation(op.String()); ok {
			out = append(out, op.String())
		}
	}
	sort.Strings(out)
	return out
}
