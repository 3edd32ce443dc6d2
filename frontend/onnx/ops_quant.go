package onnx

import (
	"fmt"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// Quantized models: QDQ (QuantizeLinear/DequantizeLinear around float ops)
// and QOperator (QLinearConv and friends, some in ONNX Runtime's
// com.microsoft domain) import as the quantized IR ops of ir/quant.go,
// whose comment defines their integer semantics.

var quantOps = map[string]opDef{
	"QuantizeLinear":        {convertQuantizeLinear},
	"DequantizeLinear":      {convertDequantizeLinear},
	"QLinearConv":           {convertQLinearConv},
	"QLinearMatMul":         {convertQLinearMatMul},
	"ConvInteger":           {convertConvInteger},
	"MatMulInteger":         {convertMatMulInteger},
	"DynamicQuantizeLinear": {convertDynamicQuantizeLinear},
}

// msOps are the com.microsoft contrib operators ONNX Runtime's quantizer
// writes.
var msOps = map[string]opDef{
	"QLinearAdd":               {convertQLinearBinary(ir.OpQLinearAdd)},
	"QLinearMul":               {convertQLinearBinary(ir.OpQLinearMul)},
	"QLinearGlobalAveragePool": {convertQLinearUnary(ir.OpQLinearGlobalAveragePool)},
	"QLinearSigmoid":           {convertQLinearUnary(ir.OpQLinearSigmoid)},
	"QLinearLeakyRelu":         {convertQLinearUnary(ir.OpQLinearLeakyRelu)},
	"QGemm":                    {convertQGemm},
	"QuantizeLinear":           {convertQuantizeLinear},
	"DequantizeLinear":         {convertDequantizeLinear},
}

// opFor returns the importer of n's operator in n's domain.
func opFor(n *pb.NodeProto) (opDef, bool) {
	switch n.GetDomain() {
	case "", "ai.onnx":
		if d, ok := opTable[n.GetOpType()]; ok {
			return d, true
		}
		if d, ok := quantOps[n.GetOpType()]; ok {
			return d, true
		}
		return registeredActivation(n.GetOpType())
	case "com.microsoft":
		d, ok := msOps[n.GetOpType()]
		return d, ok
	}
	return opDef{}, false
}

// decodeTensor turns a TensorProto into a cval, remembering its element
// type (a zero point's type is its tensor's quantized type).
func decodeTensor(t *pb.TensorProto, dir string) (*cval, error) {
	c, err := decodeTensorValues(t, dir)
	if c != nil {
		c.elem = t.GetDataType()
	}
	return c, err
}

// qtypeOf maps an ONNX element type to a quantized type.
func qtypeOf(elem int32) (ir.QType, bool) {
	switch pb.TensorProto_DataType(elem) {
	case pb.TensorProto_UINT8:
		return ir.QUint8, true
	case pb.TensorProto_INT8:
		return ir.QInt8, true
	case pb.TensorProto_UINT16:
		return ir.QUint16, true
	case pb.TensorProto_INT16:
		return ir.QInt16, true
	case pb.TensorProto_INT32:
		return ir.QInt32, true
	}
	return 0, false
}

// zeroPointType is the quantized type a zero point input (index i) stands
// for: its element type when known, else uint8 unless a value is negative;
// def when the input is absent.
func (c *nodeCtx) zeroPointType(i int, def ir.QType) (ir.QType, error) {
	s := c.input(i)
	if s == nil {
		return def, nil
	}
	if s.c == nil {
		return def, nil // computed (DynamicQuantizeLinear): its producer decided
	}
	if s.c.elem != 0 {
		t, ok := qtypeOf(s.c.elem)
		if !ok {
			return 0, fmt.Errorf("zero point %q has element type %v; mnc supports uint8, int8, uint16, int16 and int32", c.inName(i), pb.TensorProto_DataType(s.c.elem))
		}
		return t, nil
	}
	for _, v := range s.c.floats() {
		if v < 0 {
			return ir.QInt8, nil
		}
	}
	return ir.QUint8, nil
}

func (c *nodeCtx) dyns(idx ...int) ([]*ir.Value, error) {
	out := make([]*ir.Value, len(idx))
	for k, i := range idx {
		v, err := c.optDyn(i)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// trimmed drops trailing absent inputs (IR nodes end at their last present input).
func trimmed(in []*ir.Value) []*ir.Value {
	for len(in) > 0 && in[len(in)-1] == nil {
		in = in[:len(in)-1]
	}
	return in
}

func checkBlockSize(c *nodeCtx) error {
	if c.a.int("block_size", 0) != 0 {
		return fmt.Errorf("blocked quantization (block_size %d) is not supported", c.a.int("block_size", 0))
	}
	return nil
}

func convertQuantizeLinear(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	if err := checkBlockSize(c); err != nil {
		return err
	}
	def := ir.QUint8
	if dt := c.a.int("output_dtype", 0); dt != 0 {
		t, ok := qtypeOf(int32(dt))
		if !ok {
			return fmt.Errorf("output_dtype %v is not supported", pb.TensorProto_DataType(dt))
		}
		def = t
	}
	qt, err := c.zeroPointType(2, def)
	if err != nil {
		return err
	}
	in, err := c.dyns(0, 1, 2)
	if err != nil {
		return err
	}
	return c.emit(ir.OpQuantizeLinear, ir.Attrs{Axis: int(c.a.int("axis", 1)), QType: qt}, trimmed(in)...)
}

func convertDequantizeLinear(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	if err := checkBlockSize(c); err != nil {
		return err
	}
	qt, err := c.zeroPointType(2, ir.QUint8)
	if err != nil {
		return err
	}
	if s := c.input(0); s != nil && s.c != nil && s.c.elem != 0 {
		if t, ok := qtypeOf(s.c.elem); ok {
			qt = t
		}
	}
	in, err := c.dyns(0, 1, 2)
	if err != nil {
		return err
	}
	if err := c.emit(ir.OpDequantizeLinear, ir.Attrs{Axis: int(c.a.int("axis", 1)), QType: qt}, trimmed(in)...); err != nil {
		return err
	}
	if c.allConst() {
		// Dequantized weights: the node stays in the graph (the int8
		// compiler reads the integers and scales through it), and its
		// float value is known now, so Conv and Gemm accept it as a
		// constant weight.
		ts := make([]*ir.Tensor, len(trimmed(in)))
		for k, v := range trimmed(in) {
			ts[k] = v.Const
		}
		t, err := reference.Eval(c.out[0].v.Producer, ts)
		if err != nil {
			return err
		}
		c.out[0].c = newFloat(t.Shape, t.Data)
	}
	return nil
}

// convAttrs reads Conv's attributes for input x and weight w.
func convAttrs(c *nodeCtx, x, w *ir.Value) (ir.Attrs, error) {
	if err := need4D(c, "input", x.Shape); err != nil {
		return ir.Attrs{}, err
	}
	if len(w.Shape) != 4 {
		return ir.Attrs{}, fmt.Errorf("weight %q has shape %v, want 4-D [out, in/group, kh, kw]", w.Name, w.Shape)
	}
	kernel := [2]int{w.Shape[2], w.Shape[3]}
	if ks := c.a.ints("kernel_shape"); ks != nil && (len(ks) != 2 || int(ks[0]) != kernel[0] || int(ks[1]) != kernel[1]) {
		return ir.Attrs{}, fmt.Errorf("kernel_shape %v does not match weight %q %v", ks, w.Name, w.Shape)
	}
	st, dil, pads, err := spatial(c, x.Shape, kernel)
	if err != nil {
		return ir.Attrs{}, err
	}
	return ir.Attrs{Strides: st, Dilations: dil, Pads: pads, Group: int(c.a.int("group", 1))}, nil
}

func convertQLinearConv(c *nodeCtx) error {
	if err := c.need(8); err != nil {
		return err
	}
	if err := c.needConst("weight", 3, 8); err != nil {
		return err
	}
	qt, err := c.zeroPointType(7, ir.QUint8)
	if err != nil {
		return err
	}
	in, err := c.dyns(0, 1, 2, 3, 4, 5, 6, 7, 8)
	if err != nil {
		return err
	}
	a, err := convAttrs(c, in[0], in[3])
	if err != nil {
		return err
	}
	a.QType = qt
	return c.emit(ir.OpQLinearConv, a, trimmed(in)...)
}

func convertConvInteger(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	if err := c.needConst("weight", 1); err != nil {
		return err
	}
	in, err := c.dyns(0, 1, 2, 3)
	if err != nil {
		return err
	}
	a, err := convAttrs(c, in[0], in[1])
	if err != nil {
		return err
	}
	a.QType = ir.QInt32
	if in[2] == nil && in[3] != nil {
		return fmt.Errorf("a weight zero point without an input zero point is not supported")
	}
	return c.emit(ir.OpConvInteger, a, trimmed(in)...)
}

func convertQLinearMatMul(c *nodeCtx) error {
	if err := c.need(8); err != nil {
		return err
	}
	qt, err := c.zeroPointType(7, ir.QUint8)
	if err != nil {
		return err
	}
	in, err := c.dyns(0, 1, 2, 3, 4, 5, 6, 7)
	if err != nil {
		return err
	}
	return c.emit(ir.OpQLinearMatMul, ir.Attrs{QType: qt}, in...)
}

func convertMatMulInteger(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	in, err := c.dyns(0, 1, 2, 3)
	if err != nil {
		return err
	}
	if in[2] == nil && in[3] != nil {
		return fmt.Errorf("a B zero point without an A zero point is not supported")
	}
	return c.emit(ir.OpMatMulInteger, ir.Attrs{QType: ir.QInt32}, trimmed(in)...)
}

func convertQLinearBinary(op ir.Op) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		if err := c.need(7); err != nil {
			return err
		}
		qt, err := c.zeroPointType(7, ir.QUint8)
		if err != nil {
			return err
		}
		in, err := c.dyns(0, 1, 2, 3, 4, 5, 6, 7)
		if err != nil {
			return err
		}
		for _, k := range []int{2, 5} { // keep the positions: an absent zero point is 0
			if in[k] == nil {
				in[k] = c.im.g.AddConst(c.outName()+"/zero", ir.NewTensor())
			}
		}
		return c.emit(op, ir.Attrs{QType: qt}, trimmed(in)...)
	}
}

func convertQLinearUnary(op ir.Op) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		if err := c.need(4); err != nil {
			return err
		}
		if c.a.int("channels_last", 0) != 0 {
			return fmt.Errorf("channels_last=1 is not supported")
		}
		qt, err := c.zeroPointType(4, ir.QUint8)
		if err != nil {
			return err
		}
		in, err := c.dyns(0, 1, 2, 3, 4)
		if err != nil {
			return err
		}
		if in[2] == nil {
			in[2] = c.im.g.AddConst(c.outName()+"/zero", ir.NewTensor())
		}
		a := ir.Attrs{QType: qt}
		if op == ir.OpQLinearLeakyRelu {
			a.Alpha = c.a.float("alpha", 0.01)
		}
		return c.emit(op, a, trimmed(in)...)
	}
}

func convertQGemm(c *nodeCtx) error {
	if err := c.need(6); err != nil {
		return err
	}
	qt, err := c.zeroPointType(8, ir.QUint8)
	if err != nil {
		return err
	}
	in, err := c.dyns(0, 1, 2, 3, 4, 5, 6, 7, 8)
	if err != nil {
		return err
	}
	a := ir.Attrs{Alpha: c.a.float("alpha", 1), Beta: 1, TransA: c.a.int("transA", 0) != 0, TransB: c.a.int("transB", 0) != 0, QType: qt}
	if in[6] == nil && in[7] != nil {
		return fmt.Errorf("QGemm without C but with an output scale is not supported")
	}
	return c.emit(ir.OpQGemm, a, trimmed(in)...)
}

// convertDynamicQuantizeLinear expands DynamicQuantizeLinear into its
// scale, its zero point and a QuantizeLinear reading both: three outputs.
func convertDynamicQuantizeLinear(c *nodeCtx) error {
	if err := c.need(1); err != nil {
		return err
	}
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	outs := c.n.GetOutput()
	name := func(k int, suffix string) string {
		if k < len(outs) && outs[k] != "" {
			return outs[k]
		}
		return outs[0] + "/" + suffix
	}
	s, err := c.im.emit(ir.OpDynQuantScale, name(1, "scale"), ir.Attrs{}, x)
	if err != nil {
		return err
	}
	zp, err := c.im.emit(ir.OpDynQuantZeroPoint, name(2, "zero_point"), ir.Attrs{}, x)
	if err != nil {
		return err
	}
	y, err := c.im.emit(ir.OpQuantizeLinear, outs[0], ir.Attrs{QType: ir.QUint8}, x, s, zp)
	if err != nil {
		return err
	}
	c.out = []*slot{{v: y}, {v: s}, {v: zp}}
	return nil
}
