package onnx

import (
	"os"
	"strconv"
	"strings"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
	"google.golang.org/protobuf/proto"
)

// modelBuilder builds small ONNX models in Go for tests, so each importer
// feature is exercised by a model whose meaning the test states.
type modelBuilder struct {
	opset int64
	g     pb.GraphProto
}

func newModel(opset int64) *modelBuilder { return &modelBuilder{opset: opset} }

// input declares a float input; a negative dimension is symbolic ("N").
func (b *modelBuilder) input(name string, shape ...int) *modelBuilder {
	vi := valueInfo(&ir.Value{Name: name, Shape: shape})
	b.g.Input = append(b.g.Input, vi)
	return b
}

func (b *modelBuilder) output(names ...string) *modelBuilder {
	for _, n := range names {
		b.g.Output = append(b.g.Output, &pb.ValueInfoProto{Name: proto.String(n)})
	}
	return b
}

func (b *modelBuilder) weight(name string, t *ir.Tensor) *modelBuilder {
	b.g.Initializer = append(b.g.Initializer, floatTensor(name, t.Shape, t.Data))
	return b
}

func (b *modelBuilder) scalar(name string, v float32) *modelBuilder {
	b.g.Initializer = append(b.g.Initializer, floatTensor(name, nil, []float32{v}))
	return b
}

func (b *modelBuilder) ints(name string, v ...int) *modelBuilder {
	b.g.Initializer = append(b.g.Initializer, intTensor(name, v))
	return b
}

func (b *modelBuilder) node(op string, in []string, out string, at ...*pb.AttributeProto) *modelBuilder {
	b.g.Node = append(b.g.Node, &pb.NodeProto{OpType: proto.String(op), Name: proto.String(out + "_node"),
		Input: in, Output: []string{out}, Attribute: at})
	return b
}

func (b *modelBuilder) proto() *pb.ModelProto {
	return &pb.ModelProto{IrVersion: proto.Int64(8), Graph: &b.g,
		OpsetImport: []*pb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(b.opset)}}}
}

func (b *modelBuilder) bytes(t *testing.T) []byte {
	t.Helper()
	data, err := proto.Marshal(b.proto())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (b *modelBuilder) load(t *testing.T) *ir.Graph {
	t.Helper()
	g, err := Read("test.onnx", b.bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// seq returns a tensor of the given shape with varied values in about
// [-4.5, 4.5], covering every region of the piecewise activations.
func seq(shape ...int) *ir.Tensor {
	t := ir.NewTensor(shape...)
	for k := range t.Data {
		t.Data[k] = float32((k*37)%91)/10 - 4.5
	}
	return t
}

// run executes g with the reference executor on one input.
func run(t *testing.T, g *ir.Graph, x *ir.Tensor) *ir.Tensor {
	t.Helper()
	out, err := reference.Run(g, map[string]*ir.Tensor{g.Inputs[0].Name: x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out[g.Outputs[0].Name]
}

// expectClose compares with a relative tolerance of 1e-6 of the largest
// reference value: both sides are float32 computations of the same formula.
func expectClose(t *testing.T, got, want *ir.Tensor) {
	t.Helper()
	if ok, msg := reference.Close(got, want, 1e-6); !ok {
		t.Error(msg)
	}
}

func countOps(g *ir.Graph) map[ir.Op]int {
	m := map[ir.Op]int{}
	for _, n := range g.Nodes {
		m[n.Op]++
	}
	return m
}

func protoMarshal(m *pb.ModelProto) ([]byte, error) { return proto.Marshal(m) }

func writeFloats(t *testing.T, path string, data []float32) {
	t.Helper()
	raw := floatTensor("", nil, data).RawData
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func joinInts(s []int) string {
	parts := make([]string, len(s))
	for k, d := range s {
		parts[k] = strconv.Itoa(d)
	}
	return strings.Join(parts, ",")
}
