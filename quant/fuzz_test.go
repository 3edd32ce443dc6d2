package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// Quantization parameters at their extremes, through the whole compiler:
// zero points at the ends of their type's range, scales from 1e-8 to 1e3,
// NaN, ±Inf, 0 and negative scales, an all-zero (empty) weight channel,
// biases beyond 2^24. Each case is a small graph of one kind (qcase.kind);
// compiled at -O2 on every ISA it must either fail with one line naming a
// node, or compute what the reference executor computes, within one output
// quantization step (the integer pipeline the plan runs and the QDQ
// file's float reading may round one step apart; either reading counts).

// Graph kinds.
const (
	kindQDQConv     = iota // Q → DQ → Conv(DQ w, DQ b) → Q → DQ (fuse-qdq makes it a QLinearConv)
	kindQLinearConv        // Q → QLinearConv → DQ
	kindQLinearAdd         // Q(x), Q(x2) → QLinearAdd → DQ
	kindQGemm              // Q → QGemm → DQ
	kindQDQGemm            // Q → DQ → Gemm(DQ w, DQ b) → Q → DQ
	kindQDQ                // Q → DQ per channel (axis 1)
	kindQLinearGAP         // Q → QLinearGlobalAveragePool → DQ
	kindQDQConvRelu        // Q → DQ → Conv → Relu → Q → DQ (the Relu a float island)
	kindQGemmFloat         // Q → QGemm without output parameters (float output)
	numKinds
)

var kindNames = [...]string{"qdq-conv", "qlinearconv", "qlinearadd", "qgemm", "qdq-gemm", "q-dq", "qlinear-gap", "qdq-conv-relu", "qgemm-float"}

// qcase is one fuzzed graph: its kind and quantization parameters.
type qcase struct {
	kind       uint8
	xs, ws, ys float32 // input, weight (channel 0; channel 1 is 4·ws, channel 2 all zero) and output scales
	xzp, yzp   int32   // activation zero points (clamped into the type)
	wzp        int32   // weight zero point (int8, clamped)
	s8         bool    // int8 activations instead of uint8
	dw         bool    // depthwise conv
	bigBias    bool    // biases near ±2^30
	seed       uint64
}

func (c qcase) String() string {
	return fmt.Sprintf("%s xs=%g ws=%g ys=%g xzp=%d yzp=%d wzp=%d s8=%v dw=%v bigbias=%v seed=%d",
		kindNames[int(c.kind)%numKinds], c.xs, c.ws, c.ys, c.xzp, c.yzp, c.wzp, c.s8, c.dw, c.bigBias, c.seed)
}

func scal(g *ir.Graph, name string, v float32) *ir.Value { return g.AddConst(name, scalar(v)) }

func vec(g *ir.Graph, name string, v ...float32) *ir.Value {
	return g.AddConst(name, ir.FromData(append([]float32(nil), v...), len(v)))
}

// build returns the case's graph and its inputs.
func (c qcase) build() (*ir.Graph, []*ir.Tensor) {
	c.kind %= numKinds
	qt := ir.QUint8
	if c.s8 {
		qt = ir.QInt8
	}
	lo, hi := qt.Range()
	clamp := func(z, lo, hi int32) int32 { return max(lo, min(hi, z)) }
	xzp, yzp, wzp := clamp(c.xzp, lo, hi), clamp(c.yzp, lo, hi), clamp(c.wzp, -128, 127)
	r := rand.New(rand.NewPCG(c.seed, 99))
	// Sizes from the seed: channels 1..24 (past the SIMD widths' tails),
	// spatial 1..7; per-tensor weight scales on odd seeds / 2.
	ch, hw := 1+int(c.seed%24), 1+int(c.seed/24%7)
	perTensorW := c.seed/168%2 == 1
	g := ir.New("q")
	input := func(name string, shape ...int) (*ir.Value, *ir.Tensor) {
		t := ir.NewTensor(shape...)
		s := float64(c.xs)
		if !(s > 0) || math.IsInf(s, 0) {
			s = 0.01
		}
		for i := range t.Data {
			t.Data[i] = float32(s * (r.Float64()*600 - 300)) // saturates both ends
		}
		return g.AddInput(name, shape...), t
	}
	quantize := func(v *ir.Value, s float32, zp int32, name string) *ir.Value {
		return g.AddNode(ir.OpQuantizeLinear, name, ir.Attrs{QType: qt}, v, scal(g, name+".s", s), scal(g, name+".zp", float32(zp)))
	}
	deq := func(v, s, zp *ir.Value, name string, a ir.Attrs) *ir.Value {
		return g.AddNode(ir.OpDequantizeLinear, name, a, v, s, zp)
	}
	out := func(v *ir.Value) {
		y := deq(v, scal(g, "ys", c.ys), scal(g, "yzp", float32(yzp)), "y", ir.Attrs{QType: qt})
		g.SetOutputs(y)
	}
	// Weights: int8 in [-127, 127], channel 2 all zero.
	wscale := make([]float32, ch)
	for i := range wscale {
		wscale[i] = []float32{c.ws, 4 * c.ws, c.ws, c.ws / 3}[i%4]
		if perTensorW {
			wscale[i] = c.ws
		}
	}
	wsT := func() *ir.Value {
		if perTensorW {
			return scal(g, "ws", c.ws)
		}
		return vec(g, "ws", wscale...)
	}
	weights := func(shape ...int) (*ir.Tensor, *ir.Tensor) {
		w := ir.NewTensor(shape...)
		per := len(w.Data) / shape[0]
		for i := range w.Data {
			if i/per != 2 {
				w.Data[i] = float32(r.IntN(255) - 127)
			} else {
				w.Data[i] = float32(wzp) // empty channel: every weight at the zero point
			}
		}
		b := ir.NewTensor(shape[0])
		for i := range b.Data {
			b.Data[i] = float32(r.IntN(2001) - 1000)
			if c.bigBias {
				b.Data[i] = float32((r.IntN(2)*2 - 1) * (1<<30 + r.IntN(1000)))
			}
		}
		return w, b
	}
	wzps := make([]float32, ch)
	for i := range wzps {
		wzps[i] = float32(wzp)
	}
	wzpT := vec(g, "wzp", wzps...)
	if perTensorW {
		wzpT = scal(g, "wzp", float32(wzp))
	}
	biasScale := func() []float32 {
		bs := make([]float32, ch)
		for i := range bs {
			bs[i] = c.xs * wscale[i]
		}
		return bs
	}
	var ins []*ir.Tensor
	switch c.kind {
	case kindQDQConv, kindQLinearConv, kindQDQConvRelu:
		x, xt := input("x", 1, ch, hw, hw)
		ins = append(ins, xt)
		group, cin := 1, ch
		if c.dw {
			group, cin = ch, 1
		}
		w, b := weights(ch, cin, 3, 3)
		a := ir.ConvAttrs(1, 1, group)
		xq := quantize(x, c.xs, xzp, "xq")
		if c.kind == kindQLinearConv {
			a.QType = qt
			y := g.AddNode(ir.OpQLinearConv, "conv", a, xq, scal(g, "xs", c.xs), scal(g, "xzp", float32(xzp)),
				g.AddConst("w", w), wsT(), wzpT, scal(g, "ys.c", c.ys), scal(g, "yzp.c", float32(yzp)), g.AddConst("b", b))
			out(y)
			break
		}
		xd := deq(xq, scal(g, "xs", c.xs), scal(g, "xzp", float32(xzp)), "xd", ir.Attrs{QType: qt})
		wd := deq(g.AddConst("w", w), wsT(), wzpT, "wd", ir.Attrs{QType: ir.QInt8})
		bd := deq(g.AddConst("b", b), vec(g, "bs", biasScale()...), g.AddConst("bzp", ir.NewTensor(ch)), "bd", ir.Attrs{QType: ir.QInt32})
		y := g.AddNode(ir.OpConv, "conv", a, xd, wd, bd)
		if c.kind == kindQDQConvRelu {
			y = g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, y)
		}
		out(quantize(y, c.ys, yzp, "yq"))
	case kindQLinearAdd:
		x, xt := input("x", 1, ch, hw, hw)
		x2, xt2 := input("x2", 1, ch, hw, hw)
		ins = append(ins, xt, xt2)
		a := quantize(x, c.xs, xzp, "aq")
		b := quantize(x2, c.ws, wzp+int32(lo)+128, "bq")
		y := g.AddNode(ir.OpQLinearAdd, "add", ir.Attrs{QType: qt}, a, scal(g, "as", c.xs), scal(g, "azp", float32(xzp)),
			b, scal(g, "bs", c.ws), scal(g, "bzp", float32(wzp+int32(lo)+128)), scal(g, "cs", c.ys), scal(g, "czp", float32(yzp)))
		out(y)
	case kindQGemm, kindQDQGemm, kindQGemmFloat:
		k := 1 + int(c.seed/7%40)
		x, xt := input("x", 2, k)
		ins = append(ins, xt)
		w, b := weights(ch, k)
		xq := quantize(x, c.xs, xzp, "xq")
		if c.kind == kindQGemmFloat {
			y := g.AddNode(ir.OpQGemm, "gemm", ir.Attrs{Alpha: 1, TransB: true, QType: qt}, xq, scal(g, "xs", c.xs), scal(g, "xzp", float32(xzp)),
				g.AddConst("w", w), wsT(), wzpT, g.AddConst("b", b))
			g.SetOutputs(y)
			break
		}
		if c.kind == kindQGemm {
			y := g.AddNode(ir.OpQGemm, "gemm", ir.Attrs{Alpha: 1, TransB: true, QType: qt}, xq, scal(g, "xs", c.xs), scal(g, "xzp", float32(xzp)),
				g.AddConst("w", w), wsT(), wzpT, g.AddConst("b", b), scal(g, "ys.g", c.ys), scal(g, "yzp.g", float32(yzp)))
			out(y)
			break
		}
		xd := deq(xq, scal(g, "xs", c.xs), scal(g, "xzp", float32(xzp)), "xd", ir.Attrs{QType: qt})
		wd := deq(g.AddConst("w", w), wsT(), wzpT, "wd", ir.Attrs{QType: ir.QInt8})
		bd := deq(g.AddConst("b", b), vec(g, "bs", biasScale()...), g.AddConst("bzp", ir.NewTensor(ch)), "bd", ir.Attrs{QType: ir.QInt32})
		y := g.AddNode(ir.OpGemm, "gemm", ir.GemmAttrs(), xd, wd, bd)
		out(quantize(y, c.ys, yzp, "yq"))
	case kindQLinearGAP:
		x, xt := input("x", 1, ch, hw, hw)
		ins = append(ins, xt)
		xq := quantize(x, c.xs, xzp, "xq")
		out(g.AddNode(ir.OpQLinearGlobalAveragePool, "gap", ir.Attrs{QType: qt}, xq, scal(g, "xs", c.xs), scal(g, "xzp", float32(xzp)),
			scal(g, "ys.p", c.ys), scal(g, "yzp.p", float32(yzp))))
	case kindQDQ:
		x, xt := input("x", 1, ch, hw, hw)
		ins = append(ins, xt)
		sv, zv := make([]float32, ch), make([]float32, ch)
		for i := range sv {
			sv[i] = []float32{c.xs, c.ws, c.ys, c.xs * c.ws}[i%4]
			zv[i] = []float32{float32(xzp), float32(yzp), float32(lo), float32(hi)}[i%4]
		}
		s, z := vec(g, "s", sv...), vec(g, "zp", zv...)
		q := g.AddNode(ir.OpQuantizeLinear, "q", ir.Attrs{QType: qt, Axis: 1}, x, s, z)
		g.SetOutputs(deq(q, s, z, "y", ir.Attrs{QType: qt, Axis: 1}))
	}
	return g, ins
}

// checkCase runs one case: every ISA at -O2 (and -O0 on the best) against
// the reference executor.
func checkCase(t *testing.T, c qcase) {
	t.Helper()
	g, ins := c.build()
	if err := g.InferShapes(); err != nil {
		checkOneLine(t, c, "shape inference", err, g)
		return
	}
	feed := map[string]*ir.Tensor{}
	for i, v := range g.Inputs {
		feed[v.Name] = ins[i]
	}
	var wants []*ir.Tensor
	var refErr error
	for _, h := range []*ir.Graph{g, qopOrNil(g)} {
		if h == nil {
			continue
		}
		out, err := reference.Run(h, feed, nil)
		if err != nil {
			refErr = err
			continue
		}
		wants = append(wants, out[h.Outputs[0].Name])
	}
	if refErr != nil {
		checkOneLine(t, c, "reference", refErr, g)
	}
	step := math.Abs(float64(c.ys)) + floatSlack(g)
	switch c.kind % numKinds {
	case kindQDQ:
		step = 0 // per channel: the largest scale
		for _, s := range []float32{c.xs, c.ws, c.ys, c.xs * c.ws} {
			step = math.Max(step, math.Abs(float64(s)))
		}
	case kindQGemmFloat:
		step = 0 // float output: exact integer sums times one multiplier
	}
	if math.IsNaN(step) || math.IsInf(step, 0) {
		step = 0 // non-finite parameters: the results must be equal (NaN = NaN)
	}
	isas := kernels.Available()
	type run struct {
		isa   kernels.ISA
		level int
	}
	runs := []run{{isas[len(isas)-1], 0}}
	for _, isa := range isas {
		runs = append(runs, run{isa, 2})
	}
	for _, rn := range runs {
		set, err := kernels.ForISA(rn.isa)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := passes.Compile(g, passes.Options{Level: rn.level, Verify: true}, set)
		if err != nil {
			checkOneLine(t, c, fmt.Sprintf("compile %v -O%d", rn.isa, rn.level), err, g)
			continue
		}
		e, err := runtime.New(p, runtime.Options{Threads: 1})
		if err != nil {
			checkOneLine(t, c, "executor", err, g)
			continue
		}
		outs := []*ir.Tensor{ir.NewTensor(p.Outputs[0].Buf.Shape...)}
		err = e.Run(ins, outs)
		e.Close()
		if err != nil {
			checkOneLine(t, c, "run", err, g)
			continue
		}
		if len(wants) == 0 {
			continue // the reference refused (checked above); the plan's result has nothing to match
		}
		best, at := math.Inf(1), 0
		for _, w := range wants {
			d, i := maxDiff(outs[0].Data, w.Data)
			if d < best {
				best, at = d, i
			}
		}
		if best > step*1.0001*tolScale && !(best <= 0) {
			t.Errorf("%v: %v -O%d: max|plan − reference| %.4g at %d (plan %g, reference %g) > one output step %.4g",
				c, rn.isa, rn.level, best, at, outs[0].Data[at], wants[0].Data[at], step)
		}
	}
}

// floatSlack bounds how far float32 rounding can move the output of a
// Conv or Gemm computed in float (the QDQ reading, a float island such as
// Conv → Relu → Q): terms·2^-23·(max|x|·max Σ|w| + max|b|), all
// dequantized. With a large input scale and a tiny output scale that is
// many output steps; a QuantizeLinear after it magnifies nothing further.
func floatSlack(g *ir.Graph) float64 {
	var slack float64
	for _, n := range g.Nodes {
		if n.Op != ir.OpConv && n.Op != ir.OpGemm {
			continue
		}
		deqMax := func(v *ir.Value) (float64, *ir.Tensor, *ir.Tensor) {
			d := v.Producer // DequantizeLinear(q, s, zp)
			q, sc := d.Input(0), d.Input(1).Const
			zp := d.Input(2).Const
			if !q.IsConst() { // an activation: its type's range about the zero point
				lo, hi := q.Producer.Attrs.QType.Range()
				z := float64(zp.Data[0])
				return math.Abs(float64(sc.Data[0])) * math.Max(z-float64(lo), float64(hi)-z), nil, nil
			}
			return 0, q.Const, sc
		}
		mx, _, _ := deqMax(n.Input(0))
		_, w, ws := deqMax(n.Input(1))
		wzp := n.Input(1).Producer.Input(2).Const
		rows := w.Shape[0]
		per := len(w.Data) / rows
		var sumW float64
		for r := range rows {
			var t float64
			for _, v := range w.Data[r*per : (r+1)*per] {
				t += math.Abs(float64(v-wzp.Data[min(r, len(wzp.Data)-1)])) * math.Abs(float64(ws.Data[min(r, len(ws.Data)-1)]))
			}
			sumW = math.Max(sumW, t)
		}
		var maxB float64
		if b := n.Input(2); b != nil {
			_, bq, bs := deqMax(b)
			for i, v := range bq.Data {
				maxB = math.Max(maxB, math.Abs(float64(v)*float64(bs.Data[min(i, len(bs.Data)-1)])))
			}
		}
		slack = math.Max(slack, (mx*sumW+maxB)*float64(per+2)*math.Ldexp(1, -23))
	}
	return slack
}

// qopOrNil is g's QOperator form when it differs from g.
func qopOrNil(g *ir.Graph) *ir.Graph {
	h, err := ToQOperator(g)
	if err != nil {
		return nil
	}
	return h
}

// maxDiff is the largest |a − b| (NaN equal to NaN, equal infinities
// equal; any other non-finite mismatch is +Inf).
func maxDiff(a, b []float32) (float64, int) {
	var d float64
	at := 0
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		var e float64
		switch {
		case x != x && y != y, x == y:
			e = 0
		case x != x || y != y || math.IsInf(x, 0) || math.IsInf(y, 0):
			e = math.Inf(1)
		default:
			e = math.Abs(x - y)
		}
		if e > d {
			d, at = e, i
		}
	}
	return d, at
}

// checkOneLine: an error is one line and names a node of g.
func checkOneLine(t *testing.T, c qcase, where string, err error, g *ir.Graph) {
	t.Helper()
	msg := err.Error()
	named := false
	for _, n := range g.Nodes {
		if strings.Contains(msg, `"`+n.Name+`"`) {
			named = true
		}
	}
	if strings.Contains(msg, "\n") || !named {
		t.Errorf("%v: %s: error is not one line naming a node: %q", c, where, msg)
	}
}

var nan = float32(math.NaN())
var inf = float32(math.Inf(1))

// quantCases: the table (also FuzzQuantParams' seed corpus).
func quantCases() []qcase {
	var cs []qcase
	scales := []float32{1e-8, 1e3, 0.02}
	for kind := uint8(0); kind < numKinds; kind++ {
		for _, s8 := range []bool{false, true} {
			lo, hi := ir.QUint8.Range()
			if s8 {
				lo, hi = ir.QInt8.Range()
			}
			for i, xs := range scales {
				for j, ys := range scales {
					cs = append(cs, qcase{kind: kind, xs: xs, ws: scales[(i+j)%3] / 10, ys: ys, xzp: lo, yzp: hi, wzp: 0, s8: s8, dw: i == j, seed: uint64(i*3 + j)})
					cs = append(cs, qcase{kind: kind, xs: xs, ws: 0.01, ys: ys, xzp: hi, yzp: lo, wzp: -128 + 255*int32(j%2), s8: s8, seed: uint64(10 + i*3 + j)})
				}
			}
			for _, bad := range []float32{nan, inf, -inf, 0, -0.5} {
				cs = append(cs, qcase{kind: kind, xs: bad, ws: 0.01, ys: 0.1, xzp: lo, yzp: hi, s8: s8, seed: 1})
				cs = append(cs, qcase{kind: kind, xs: 0.05, ws: bad, ys: 0.1, xzp: hi, yzp: lo, s8: s8, seed: 2})
				cs = append(cs, qcase{kind: kind, xs: 0.05, ws: 0.01, ys: bad, xzp: 0, yzp: 0, s8: s8, seed: 3})
			}
			cs = append(cs, qcase{kind: kind, xs: 0.05, ws: 0.01, ys: 0.1, bigBias: true, s8: s8, seed: 4})
			cs = append(cs, qcase{kind: kind, xs: 1e-8, ws: 1e-8, ys: 1e-8, bigBias: true, dw: true, s8: s8, seed: 5})
		}
	}
	for i := range cs {
		cs[i].seed = cs[i].seed*53 + uint64(i)*29 // sizes vary (channels, spatial, k, per-tensor weights)
	}
	return cs
}

func TestQuantParamsTable(t *testing.T) {
	cs := quantCases()
	if testing.Short() {
		var keep []qcase
		for i, c := range cs {
			if i%4 == 0 {
				keep = append(keep, c)
			}
		}
		cs = keep
	}
	for _, c := range cs {
		checkCase(t, c)
	}
}

// FuzzQuantParams: go test -fuzz FuzzQuantParams ./quant explores further;
// plain go test runs the seed corpus (the table).
func FuzzQuantParams(f *testing.F) {
	for i, c := range quantCases() {
		if i%7 == 0 {
			f.Add(c.kind, c.xs, c.ws, c.ys, c.xzp, c.yzp, c.wzp, c.s8, c.dw, c.bigBias, c.seed)
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, xs, ws, ys float32, xzp, yzp, wzp int32, s8, dw, bigBias bool, seed uint64) {
		checkCase(t, qcase{kind, xs, ws, ys, xzp, yzp, wzp, s8, dw, bigBias, seed})
	})
}

// tolScale scales the tolerance (0: count every difference, for study).
var tolScale = 1.0
