package onnx

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"google.golang.org/protobuf/proto"
)

// ExportOpset is the opset Write emits: Clip takes its bounds as inputs,
// HardSwish exists (14+), ReduceMean still takes axes as an attribute (<18).
const ExportOpset = 17

// Write serialises g as an ONNX model (opset 17). Fused epilogues on Conv
// and Gemm are expanded back into separate nodes (bias stays in the Conv
// or Gemm; the residual becomes an Add; the activation its own node), so
// any ONNX runtime computes what mnc's kernels compute. Value names are
// kept; an unknown dimension becomes the symbolic dimension "N".
func Write(w io.Writer, g *ir.Graph) error {
	m, err := toModel(g)
	if err != nil {
		return err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return fmt.Errorf("graph %q: %v", g.Name, err)
	}
	_, err = w.Write(b)
	return err
}

type exporter struct {
	g     *ir.Graph
	gp    *pb.GraphProto
	inits map[*ir.Value]bool
	names map[string]bool // every tensor name used, to keep helper names unique

	msDomain bool // a com.microsoft operator was written

	// indices marks the values holding ArgMax's indices (int64 in ONNX),
	// casts their float copies; cur is the node being written.
	indices map[*ir.Value]bool
	casts   map[*ir.Value]string
	cur     *ir.Node
}

func toModel(g *ir.Graph) (*pb.ModelProto, error) {
	if err := g.Verify(); err != nil {
		return nil, fmt.Errorf("graph %q cannot be exported: %v", g.Name, err)
	}
	ex := &exporter{g: g, gp: &pb.GraphProto{Name: proto.String(g.Name)}, inits: map[*ir.Value]bool{}, names: map[string]bool{},
		indices: map[*ir.Value]bool{}, casts: map[*ir.Value]string{}}
	for _, v := range g.Values() {
		ex.names[v.Name] = true
	}
	for _, v := range g.Inputs {
		ex.gp.Input = append(ex.gp.Input, valueInfo(v))
	}
	for _, n := range g.Nodes {
		if err := ex.node(n); err != nil {
			return nil, fmt.Errorf("graph %q: node %q (%s): %v", g.Name, n.Name, n.Op, err)
		}
	}
	for _, v := range g.Outputs {
		if v.IsConst() {
			ex.initializer(v)
		}
		vi := outputInfo(v)
		if ex.indices[v] {
			vi.GetType().GetTensorType().ElemType = proto.Int32(int32(pb.TensorProto_INT64))
		}
		ex.gp.Output = append(ex.gp.Output, vi)
	}
	m := &pb.ModelProto{
		IrVersion:    proto.Int64(8),
		ProducerName: proto.String("mnc"),
		OpsetImport:  []*pb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(ExportOpset)}},
		Graph:        ex.gp,
	}
	if ex.msDomain {
		m.OpsetImport = append(m.OpsetImport, &pb.OperatorSetIdProto{Domain: proto.String("com.microsoft"), Version: proto.Int64(1)})
	}
	return m, nil
}

func valueInfo(v *ir.Value) *pb.ValueInfoProto {
	shape := &pb.TensorShapeProto{}
	for _, d := range v.Shape {
		if d < 0 {
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}})
		} else {
			shape.Dim = append(shape.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
	}
	return &pb.ValueInfoProto{Name: proto.String(v.Name), Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: proto.Int32(int32(pb.TensorProto_FLOAT)), Shape: shape}}}}
}

// floatTensor encodes float32 data as raw little-endian bytes.
func floatTensor(name string, shape []int, data []float32) *pb.TensorProto {
	raw := make([]byte, 4*len(data))
	for k, f := range data {
		binary.LittleEndian.PutUint32(raw[4*k:], math.Float32bits(f))
	}
	return &pb.TensorProto{Name: proto.String(name), Dims: dims(shape), DataType: proto.Int32(int32(pb.TensorProto_FLOAT)), RawData: raw}
}

func intTensor(name string, data []int) *pb.TensorProto {
	v := make([]int64, len(data))
	for k, d := range data {
		v[k] = int64(d)
	}
	return &pb.TensorProto{Name: proto.String(name), Dims: []int64{int64(len(data))}, DataType: proto.Int32(int32(pb.TensorProto_INT64)), Int64Data: v}
}

func dims(shape []int) []int64 {
	d := make([]int64, len(shape))
	for k, x := range shape {
		d[k] = int64(x)
	}
	return d
}

// initializer writes a constant value once.
func (ex *exporter) initializer(v *ir.Value) {
	if ex.inits[v] {
		return
	}
	ex.inits[v] = true
	ex.gp.Initializer = append(ex.gp.Initializer, floatTensor(v.Name, v.Const.Shape, v.Const.Data))
}

// fresh returns an unused tensor name derived from base.
func (ex *exporter) fresh(base string) string {
	name := base
	for k := 1; ex.names[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	ex.names[name] = true
	return name
}

// addInit adds a helper initializer (Clip bounds, Reshape targets, pads).
func (ex *exporter) addInit(t *pb.TensorProto) string {
	t.Name = proto.String(ex.fresh(t.GetName()))
	ex.gp.Initializer = append(ex.gp.Initializer, t)
	return t.GetName()
}

func (ex *exporter) emit(op, name string, in []string, out string, at ...*pb.AttributeProto) {
	ex.gp.Node = append(ex.gp.Node, &pb.NodeProto{OpType: proto.String(op), Name: proto.String(name), Input: in, Output: []string{out}, Attribute: at})
}

func attrInt(name string, v int) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INT.Enum(), I: proto.Int64(int64(v))}
}

func attrInts(name string, v []int) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INTS.Enum(), Ints: dims(v)}
}

func attrFloat(name string, v float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func attrString(name, v string) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// inputNames names n's inputs (writing constants as initializers); absent
// optional inputs are "".
func (ex *exporter) inputNames(in []*ir.Value) []string {
	out := make([]string, len(in))
	for k, v := range in {
		if v == nil {
			continue
		}
		if v.IsConst() {
			ex.initializer(v)
		}
		out[k] = ex.floatName(v)
	}
	// Trailing absent inputs are dropped, as ONNX prefers.
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func (ex *exporter) node(n *ir.Node) error {
	ex.cur = n
	if n.Op.IsQuant() {
		return ex.quantNode(n)
	}
	a := n.Attrs
	out := n.Output().Name
	in := ex.inputNames(n.Inputs)
	if indexKeeping(n.Op) && ex.indices[n.Input(0)] {
		ex.indices[n.Output()] = true
	}
	if n.Op.IsActivation() && len(in) > 1 { // PRelu: the op with its slope input
		ex.emit(n.Op.String(), n.Name, in, out)
		return nil
	}
	if ep, ok := ir.ActEpilogue(n); ok { // a standalone activation is written as a fused one is
		ex.activation(n.Name, ep, in[0], out)
		return nil
	}
	switch n.Op {
	case ir.OpConv, ir.OpGemm:
		return ex.fusable(n)
	case ir.OpBatchNorm:
		ex.emit("BatchNormalization", n.Name, in, out, attrFloat("epsilon", a.Epsilon))
	case ir.OpAdd:
		if ep := a.Fused; ep.Act != ir.ActNone { // fuse-activation's epilogue: the Add, then the activation
			sum := ex.fresh(out + "/sum")
			ex.emit("Add", n.Name, in, sum)
			ex.activation(ex.fresh(n.Name+"/"+ep.Act.String()), ep, sum, out)
			return nil
		}
		ex.emit("Add", n.Name, in, out)
	case ir.OpGlobalAveragePool, ir.OpIdentity, ir.OpSub, ir.OpMul, ir.OpDiv, ir.OpMatMul:
		ex.emit(n.Op.String(), n.Name, in, out)
	case ir.OpDropout:
		ex.emit("Identity", n.Name, in, out)
	case ir.OpAveragePool, ir.OpMaxPool:
		at := []*pb.AttributeProto{attrInts("kernel_shape", a.Kernel[:]), attrInts("strides", a.Strides[:]),
			attrInts("pads", a.Pads[:]), attrInt("ceil_mode", boolInt(a.CeilMode))}
		if n.Op == ir.OpAveragePool {
			at = append(at, attrInt("count_include_pad", boolInt(a.CountIncludePad)))
		} else if a.Dilations != [2]int{} {
			at = append(at, attrInts("dilations", a.Dilations[:]))
		}
		ex.emit(n.Op.String(), n.Name, in, out, at...)
	case ir.OpFlatten, ir.OpSoftmax, ir.OpConcat:
		ex.emit(n.Op.String(), n.Name, in, out, attrInt("axis", a.Axis))
	case ir.OpReshape:
		shape := ex.addInit(intTensor(out+"/shape", a.Shape))
		ex.emit("Reshape", n.Name, []string{in[0], shape}, out)
	case ir.OpTranspose:
		ex.emit("Transpose", n.Name, in, out, attrInts("perm", a.Perm))
	case ir.OpPad:
		pads := ex.addInit(intTensor(out+"/pads", a.PadAmounts))
		value := ex.addInit(floatTensor(out+"/value", nil, []float32{a.PadValue}))
		mode := a.PadMode
		if mode == "" {
			mode = "constant"
		}
		ex.emit("Pad", n.Name, []string{in[0], pads, value}, out, attrString("mode", mode))
	case ir.OpReduceMean:
		at := []*pb.AttributeProto{attrInt("keepdims", boolInt(a.KeepDims))}
		if len(a.Axes) > 0 {
			at = append(at, attrInts("axes", a.Axes))
		}
		ex.emit("ReduceMean", n.Name, in, out, at...)
	case ir.OpResize, ir.OpConvTranspose:
		return ex.dense(n, in)
	case ir.OpArgMax:
		return ex.argMax(n, in)
	case ir.OpSlice:
		names := []string{in[0]}
		for _, v := range []struct {
			what string
			ints []int
		}{{"starts", a.Starts}, {"ends", a.Ends}, {"axes", a.Axes}, {"steps", a.Steps}} {
			names = append(names, ex.addInit(intTensor(out+"/"+v.what, v.ints)))
		}
		ex.emit("Slice", n.Name, names, out)
	default:
		return fmt.Errorf("no ONNX export for this operator")
	}
	return nil
}

// fusable writes a Conv or Gemm and expands its fused epilogue: the bias
// stays an input, the residual becomes an Add and the activation a node.
func (ex *exporter) fusable(n *ir.Node) error {
	a := n.Attrs
	out := n.Output().Name
	ep := a.Fused
	core := n.Inputs
	var residual *ir.Value
	if ep.Residual {
		if len(core) < 4 || core[3] == nil {
			return fmt.Errorf("fused residual input is missing")
		}
		residual, core = core[3], core[:3]
	}
	if len(core) > 3 {
		core = core[:3]
	}
	in := ex.inputNames(core)
	coreOut := out
	if ep.Residual || ep.Act != ir.ActNone {
		coreOut = ex.fresh(out + "/" + n.Op.String())
	}
	if n.Op == ir.OpConv {
		w := n.Input(1).Shape
		if len(w) != 4 {
			return fmt.Errorf("weight %q has shape %v, want 4-D", n.Input(1).Name, w)
		}
		dil := a.Dilations
		if dil == [2]int{} {
			dil = [2]int{1, 1}
		}
		ex.emit("Conv", n.Name, in, coreOut, attrInts("kernel_shape", []int{w[2], w[3]}), attrInts("strides", a.Strides[:]),
			attrInts("pads", a.Pads[:]), attrInts("dilations", dil[:]), attrInt("group", a.Group))
	} else {
		ex.emit("Gemm", n.Name, in, coreOut, attrFloat("alpha", a.Alpha), attrFloat("beta", a.Beta),
			attrInt("transA", boolInt(a.TransA)), attrInt("transB", boolInt(a.TransB)))
	}
	cur := coreOut
	if ep.Residual {
		if residual.IsConst() {
			ex.initializer(residual)
		}
		next := out
		if ep.Act != ir.ActNone {
			next = ex.fresh(out + "/residual")
		}
		ex.emit("Add", ex.fresh(n.Name+"/residual_add"), []string{cur, residual.Name}, next)
		cur = next
	}
	if ep.Act != ir.ActNone {
		if s := ep.Slope; s != nil { // [C, 1, …]: broadcast along the output's axis 1
			shape := make([]int, len(n.Output().Shape)-1)
			for i := range shape {
				shape[i] = 1
			}
			shape[0] = len(s.Data)
			ep.Slope = &ir.Tensor{Shape: shape, Data: s.Data}
		}
		ex.activation(ex.fresh(n.Name+"/"+ep.Act.String()), ep, cur, out)
	}
	return nil
}

// activation writes an epilogue activation as ONNX nodes.
func (ex *exporter) activation(name string, ep ir.Epilogue, in, out string) {
	switch ep.Act {
	case ir.ActRelu:
		ex.emit("Relu", name, []string{in}, out)
	case ir.ActClip:
		lo := ex.addInit(floatTensor(out+"/min", nil, []float32{ep.Min}))
		hi := ex.addInit(floatTensor(out+"/max", nil, []float32{ep.Max}))
		ex.emit("Clip", name, []string{in, lo, hi}, out)
	case ir.ActHardSwish:
		ex.emit("HardSwish", name, []string{in}, out)
	case ir.ActHardSigmoid:
		ex.emit("HardSigmoid", name, []string{in}, out, attrFloat("alpha", ep.Alpha), attrFloat("beta", ep.Beta))
	case ir.ActSigmoid:
		ex.emit("Sigmoid", name, []string{in}, out)
	case ir.ActLeakyRelu:
		ex.emit("LeakyRelu", name, []string{in}, out, attrFloat("alpha", ep.Alpha))
	case ir.ActPRelu:
		slope := ex.addInit(floatTensor(out+"/slope", ep.Slope.Shape, ep.Slope.Data))
		ex.emit("PRelu", name, []string{in, slope}, out)
	case ir.ActRequant: // Mul by the per-channel multiplier, Round (half to even), Clip
		m := ex.addInit(floatTensor(out+"/multiplier", ep.Slope.Shape, ep.Slope.Data))
		prod, rounded := ex.fresh(out+"/scaled"), ex.fresh(out+"/rounded")
		ex.emit("Mul", prod, []string{in, m}, prod)
		ex.emit("Round", rounded, []string{prod}, rounded)
		lo := ex.addInit(floatTensor(out+"/min", nil, []float32{ep.Min}))
		hi := ex.addInit(floatTensor(out+"/max", nil, []float32{ep.Max}))
		ex.emit("Clip", name, []string{rounded, lo, hi}, out)
	case ir.ActSwish:
		sig := ex.fresh(out + "/sigmoid")
		ex.emit("Sigmoid", sig, []string{in}, sig)
		ex.emit("Mul", name, []string{in, sig}, out)
	default: // registered with its op alone (ir.OpInfo.ActFn): that op, alpha and beta if it reads them
		op := ir.ActOp(ep.Act)
		var at []*pb.AttributeProto
		if info := op.Info(); info != nil {
			if strings.Contains(info.Attrs, "Alpha") {
				at = append(at, attrFloat("alpha", ep.Alpha))
			}
			if strings.Contains(info.Attrs, "Beta") {
				at = append(at, attrFloat("beta", ep.Beta))
			}
		}
		ex.emit(op.String(), name, []string{in}, out, at...)
	}
}
