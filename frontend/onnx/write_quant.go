package onnx

import (
	"encoding/binary"
	"fmt"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"google.golang.org/protobuf/proto"
)

// Export of the quantized operators. Quantized IR tensors are float32
// tensors of integers; ONNX types them, so each constant input is written
// with the element type its role needs: scales as float, quantized data and
// zero points as the type of the tensor they describe, biases as int32.

// role of a quantized op's input: 'f' float, 'o' the output's QType, 'x'
// the type of input 0's data, 'b' the type of the second operand (input
// 3, or 1 for ConvInteger/MatMulInteger), 'i' int32, 'd' DequantizeLinear's
// input type (its QType).
var quantRoles = map[ir.Op]string{
	ir.OpQuantizeLinear:           "ffo",
	ir.OpDequantizeLinear:         "dfd",
	ir.OpQLinearConv:              "xfxbfbfoi",
	ir.OpQLinearMatMul:            "xfxbfbfo",
	ir.OpQLinearAdd:               "xfxbfbfo",
	ir.OpQLinearMul:               "xfxbfbfo",
	ir.OpQLinearGlobalAveragePool: "xfxfo",
	ir.OpQLinearSigmoid:           "xfxfo",
	ir.OpQLinearLeakyRelu:         "xfxfo",
	ir.OpQGemm:                    "xfxbfbifo",
	ir.OpConvInteger:              "xbxb",
	ir.OpMatMulInteger:            "xbxb",
}

var qtypeElem = map[ir.QType]pb.TensorProto_DataType{
	ir.QUint8: pb.TensorProto_UINT8, ir.QInt8: pb.TensorProto_INT8, ir.QUint16: pb.TensorProto_UINT16,
	ir.QInt16: pb.TensorProto_INT16, ir.QInt32: pb.TensorProto_INT32,
}

// valueQType is the integer type of a quantized value computed by a node,
// and false for float values.
func valueQType(v *ir.Value) (ir.QType, bool) {
	p := v.Producer
	if p == nil || !p.Op.IsQuant() {
		return 0, false
	}
	switch p.Op {
	case ir.OpDequantizeLinear, ir.OpDynQuantScale:
		return 0, false
	case ir.OpDynQuantZeroPoint:
		return ir.QUint8, true
	case ir.OpQGemm:
		if p.Input(7) == nil {
			return 0, false
		}
	}
	return p.Attrs.QType, true
}

// constQType is the type of constant integer data: int8 when a value is
// negative, uint8 when one exceeds 127, else int8.
func constQType(vs ...*ir.Value) ir.QType {
	for _, v := range vs {
		if v == nil || !v.IsConst() {
			continue
		}
		for _, x := range v.Const.Data {
			if x < 0 {
				return ir.QInt8
			}
			if x > 127 {
				return ir.QUint8
			}
		}
	}
	return ir.QInt8
}

// operandQType is the type of a quantized operand with zero point zp.
func operandQType(v, zp *ir.Value) ir.QType {
	if t, ok := valueQType(v); ok {
		return t
	}
	return constQType(v, zp)
}

// intInit writes a constant as an integer initializer of type t.
func (ex *exporter) intInit(v *ir.Value, t ir.QType) {
	if ex.inits[v] {
		return
	}
	ex.inits[v] = true
	dt := qtypeElem[t]
	var raw []byte
	switch t {
	case ir.QUint8, ir.QInt8:
		raw = make([]byte, len(v.Const.Data))
		for k, x := range v.Const.Data {
			raw[k] = byte(int8(int32(x)))
			if t == ir.QUint8 {
				raw[k] = byte(uint8(int32(x)))
			}
		}
	case ir.QUint16, ir.QInt16:
		raw = make([]byte, 2*len(v.Const.Data))
		for k, x := range v.Const.Data {
			binary.LittleEndian.PutUint16(raw[2*k:], uint16(int32(x)))
		}
	default:
		raw = make([]byte, 4*len(v.Const.Data))
		for k, x := range v.Const.Data {
			binary.LittleEndian.PutUint32(raw[4*k:], uint32(int32(x)))
		}
	}
	ex.gp.Initializer = append(ex.gp.Initializer, &pb.TensorProto{Name: proto.String(v.Name), Dims: dims(v.Const.Shape), DataType: proto.Int32(int32(dt)), RawData: raw})
}

func isMSOp(op ir.Op) bool {
	switch op {
	case ir.OpQLinearAdd, ir.OpQLinearMul, ir.OpQLinearGlobalAveragePool, ir.OpQLinearSigmoid, ir.OpQLinearLeakyRelu, ir.OpQGemm:
		return true
	}
	return false
}

// quantNode writes a quantized IR node.
func (ex *exporter) quantNode(n *ir.Node) error {
	a := n.Attrs
	out := n.Output().Name
	switch n.Op {
	case ir.OpDynQuantScale, ir.OpDynQuantZeroPoint:
		x := n.Input(0)
		if x.IsConst() {
			ex.initializer(x)
		}
		outs := []string{ex.fresh(out + "/y"), ex.fresh(out + "/scale"), ex.fresh(out + "/zp")}
		outs[1+int(n.Op-ir.OpDynQuantScale)] = out
		ex.gp.Node = append(ex.gp.Node, &pb.NodeProto{OpType: proto.String("DynamicQuantizeLinear"), Name: proto.String(n.Name), Input: []string{x.Name}, Output: outs})
		return nil
	}
	roles, ok := quantRoles[n.Op]
	if !ok {
		return fmt.Errorf("no ONNX export for this operator")
	}
	second := 3
	if n.Op == ir.OpConvInteger || n.Op == ir.OpMatMulInteger {
		second = 1
	}
	zpOf := map[int]int{0: 2, second: 5}
	if second == 1 {
		zpOf = map[int]int{0: 2, 1: 3}
	}
	typeOf := func(i int) ir.QType { return operandQType(n.Input(i), n.Input(zpOf[i])) }
	for i, v := range n.Inputs {
		if v == nil || !v.IsConst() || i >= len(roles) {
			continue
		}
		switch roles[i] {
		case 'f':
			ex.initializer(v)
		case 'o':
			ex.intInit(v, a.QType)
		case 'x':
			ex.intInit(v, typeOf(0))
		case 'b':
			ex.intInit(v, typeOf(second))
		case 'i':
			ex.intInit(v, ir.QInt32)
		case 'd':
			t := a.QType
			if !n.Input(0).IsConst() {
				t = operandQType(n.Input(0), n.Input(2))
			}
			ex.intInit(v, t)
		}
	}
	in := ex.inputNames(n.Inputs)
	var at []*pb.AttributeProto
	switch n.Op {
	case ir.OpQuantizeLinear, ir.OpDequantizeLinear:
		at = append(at, attrInt("axis", a.Axis))
	case ir.OpQLinearConv, ir.OpConvInteger:
		w := n.Input(3)
		if n.Op == ir.OpConvInteger {
			w = n.Input(1)
		}
		at = append(at, attrInts("kernel_shape", []int{w.Shape[2], w.Shape[3]}), attrInts("strides", a.Strides[:]),
			attrInts("pads", a.Pads[:]), attrInts("dilations", a.Dilations[:]), attrInt("group", a.Group))
	case ir.OpQLinearLeakyRelu:
		at = append(at, attrFloat("alpha", a.Alpha))
	case ir.OpQGemm:
		at = append(at, attrFloat("alpha", a.Alpha), attrInt("transA", boolInt(a.TransA)), attrInt("transB", boolInt(a.TransB)))
	}
	node := &pb.NodeProto{OpType: proto.String(n.Op.String()), Name: proto.String(n.Name), Input: in, Output: []string{out}, Attribute: at}
	if isMSOp(n.Op) {
		node.Domain = proto.String("com.microsoft")
		ex.msDomain = true
	}
	ex.gp.Node = append(ex.gp.Node, node)
	return nil
}

// outputInfo is valueInfo with the element type of a quantized output.
func outputInfo(v *ir.Value) *pb.ValueInfoProto {
	vi := valueInfo(v)
	if t, ok := valueQType(v); ok {
		vi.GetType().GetTensorType().ElemType = proto.Int32(int32(qtypeElem[t]))
	}
	return vi
}
