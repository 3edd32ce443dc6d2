package onnx

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
	"google.golang.org/protobuf/proto"
)

// Model is a parsed ONNX model that can be imported at several input
// shapes: the shape arithmetic folded at import (Shape → Gather → ... →
// Pad, Reshape targets) depends on the input shapes, so each shape is a
// new import. The initializers are decoded once and shared by every
// import (IR constants are never mutated). Safe for concurrent use.
type Model struct {
	name, dir string
	m         *pb.ModelProto
	inits     initCache
}

// Open reads the ONNX model at path without importing it; external data
// files are looked up in path's directory.
func Open(path string) (*Model, error) {
	data, err := limits.ReadFile(path, "ONNX model", 0)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, filepath.Dir(path))
}

// Parse parses an ONNX model from its serialized bytes. name is used in
// error messages (usually the file name); dir is where external data files
// are read from ("" forbids external data).
func Parse(name string, data []byte, dir string) (*Model, error) {
	if err := checkGraphSize(name, data); err != nil {
		return nil, err
	}
	m := &pb.ModelProto{}
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%s: not a valid ONNX model: %v", name, err)
	}
	return &Model{name: name, dir: dir, m: m}, nil
}

// Import converts the model with the given input shapes (nil or a missing
// name: the shape the model declares). A shape overrides symbolic and
// fixed dimensions alike; one that names no input, has the wrong rank or
// a dimension below 1 is an error. A symbolic batch left unknown stays -1
// (ir.Graph.SetBatch binds it); any other unknown dimension fails with an
// *ir.UnboundError naming the input and its symbolic dimensions. The
// graph's Rebuild imports the model again with other shapes.
func (m *Model) Import(shapes map[string]ir.Shape) (g *ir.Graph, err error) {
	// The importer validates its input and returns errors; this recover is a
	// last line of defence so that a bug shows up as an error naming the file
	// rather than taking down the caller.
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("%s: internal error while importing: %v", m.name, r)
		}
	}()
	g, err = importWith(m.m, m.dir, importOptions{shapes: shapes, inits: &m.inits})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.name, err)
	}
	g.Rebuild = m.rebuilder(shapes)
	return g, nil
}

// Lazy is Import(nil), except that a model whose inputs need their
// dimensions given comes back as a graph of its inputs alone (unknown
// dimensions -1) with Unbound set, for Specialize (which calls Rebuild) to
// give them; Verify and every use of such a graph fail with the
// *ir.UnboundError. That is a model with symbolic dimensions besides the
// batch, and one whose graph computes with its symbolic batch (torch's
// x.view(x.size(0) * 4, -1)): it imports once the batch is known, so its
// batch must be given (mnc infers it from the size of an input file).
func (m *Model) Lazy() (*ir.Graph, error) {
	g, err := m.Import(nil)
	if err == nil {
		return g, nil
	}
	var ue *ir.UnboundError
	if !errors.As(err, &ue) {
		ue = m.batchBound(err)
		if ue == nil {
			return nil, err
		}
	}
	in, err2 := m.Inputs()
	if err2 != nil {
		return nil, err
	}
	g = ir.New(m.m.GetGraph().GetName())
	for _, v := range in {
		g.AddInput(v.Name, v.Shape...)
	}
	g.Unbound = ue
	g.Rebuild = m.rebuilder(nil)
	return g, nil
}

// batchBound reports whether importing failed (with err) only because the
// graph computes with a symbolic batch: the import succeeds with every
// symbolic batch set to 1. It returns the error that asks for the batch.
func (m *Model) batchBound(err error) *ir.UnboundError {
	in, err2 := m.Inputs()
	if err2 != nil {
		return nil
	}
	shapes := map[string]ir.Shape{}
	var first *Input
	for k, v := range in {
		for d, n := range v.Shape {
			if n < 0 && d > 0 {
				return nil
			}
		}
		if len(v.Shape) > 0 && v.Shape[0] < 0 {
			s := v.Shape.Clone()
			s[0] = 1
			shapes[v.Name] = s
			if first == nil {
				first = &in[k]
			}
		}
	}
	if first == nil {
		return nil
	}
	if _, err2 := m.Import(shapes); err2 != nil {
		return nil
	}
	return &ir.UnboundError{Input: first.Name, Shape: first.Shape, Names: first.Names, Why: err.Error()}
}

// rebuilder imports the model again with base's shapes overridden by the
// given ones.
func (m *Model) rebuilder(base map[string]ir.Shape) func(map[string]ir.Shape) (*ir.Graph, error) {
	return func(shapes map[string]ir.Shape) (*ir.Graph, error) {
		merged := map[string]ir.Shape{}
		for k, v := range base {
			merged[k] = v
		}
		for k, v := range shapes {
			merged[k] = v.Clone()
		}
		return m.Import(merged)
	}
}

// Input describes one graph input as the model declares it.
type Input struct {
	Name  string
	Shape ir.Shape // -1 for an unknown dimension
	Names []string // each unknown dimension's dim_param ("" when none or known)
}

// Inputs lists the graph inputs that are not initializers, with their
// declared shapes.
func (m *Model) Inputs() ([]Input, error) {
	gp := m.m.GetGraph()
	if gp == nil {
		return nil, fmt.Errorf("%s: model has no graph", m.name)
	}
	inits := map[string]bool{}
	for _, t := range gp.GetInitializer() {
		inits[t.GetName()] = true
	}
	var out []Input
	for _, in := range gp.GetInput() {
		if inits[in.GetName()] {
			continue
		}
		v := Input{Name: in.GetName()}
		for _, d := range in.GetType().GetTensorType().GetShape().GetDim() {
			n := int(d.GetDimValue())
			name := ""
			if n <= 0 || d.GetDimParam() != "" {
				n, name = -1, d.GetDimParam()
			}
			v.Shape = append(v.Shape, n)
			v.Names = append(v.Names, name)
		}
		out = append(out, v)
	}
	return out, nil
}

// initCache holds the decoded initializers of one Model, by tensor.
type initCache struct {
	mu sync.Mutex
	m  map[*pb.TensorProto]*cval
}

// decode decodes t once per cache (c may be nil: no cache).
func (c *initCache) decode(t *pb.TensorProto, dir string) (*cval, error) {
	if c == nil {
		return decodeTensor(t, dir)
	}
	c.mu.Lock()
	k, ok := c.m[t]
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := decodeTensor(t, dir)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[*pb.TensorProto]*cval{}
	}
	c.m[t] = k
	c.mu.Unlock()
	return k, nil
}
