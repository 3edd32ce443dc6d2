package plan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

// slicePlan: two GEMMs write channels 0…3 and 3…5 of a 5-channel NHWC
// tensor at 0 (concat-in-place), a Concat takes it over, a GEMM reads it.
func slicePlan() *Plan {
	x0 := Operand{Off: 56, Shape: ir.Shape{1, 4, 2, 2}}
	x := Operand{Off: 32, Shape: ir.Shape{1, 4, 2, 2}, NHWC: true}
	a := Operand{Off: 0, Shape: ir.Shape{1, 3, 2, 2}, NHWC: true, Pitch: 5}
	b := Operand{Off: 0, Shape: ir.Shape{1, 2, 2, 2}, NHWC: true, Pitch: 5, ChanOff: 3}
	cat := Operand{Off: 0, Shape: ir.Shape{1, 5, 2, 2}, NHWC: true}
	y := Operand{Off: 48, Shape: ir.Shape{1, 1, 2, 2}, NHWC: true}
	yo := Operand{Off: 52, Shape: ir.Shape{1, 1, 2, 2}}
	gemm := func(name string, in, out Operand, blob int) Step {
		return Step{Kind: KindGemm, Name: name, Op: ir.OpConv, Algo: "gemm", In: []Operand{in}, Out: out, Consts: []int{blob, NoBlob},
			WShape: ir.Shape{out.Shape[1], in.Shape[1], 1, 1}, Attrs: ir.ConvAttrs(1, 0, 1)}
	}
	return &Plan{
		Name: "slices", ISA: kernels.Generic, Batch: 1, ArenaSize: 72,
		Inputs:  []IO{{Name: "x", Buf: x0}},
		Outputs: []IO{{Name: "y", Buf: yo}},
		Steps: []Step{
			{Kind: KindToNHWC, Name: "x_nhwc", In: []Operand{x0}, Out: x},
			gemm("a", x, a, 0), gemm("b", x, b, 0),
			{Kind: KindGeneric, Name: "cat", Op: ir.OpConcat, Attrs: ir.Attrs{Axis: 1}, In: []Operand{a, b}, ConstIn: []int{NoBlob, NoBlob}, Out: cat},
			gemm("y", cat, y, 0),
			{Kind: KindToNCHW, Name: "y_nchw", In: []Operand{y}, Out: yo},
		},
		Blobs: [][]float32{make([]float32, 64)},
	}
}

// TestSlices: channel-slice operands validate, survive encoding, and
// CheckMemory accepts slices of one tensor with disjoint channels taken
// over by their Concat, and reports overlapping channels, a slice read
// after its Concat, another tensor in the slices' storage, and a slice
// with a bad pitch.
func TestSlices(t *testing.T) {
	p := slicePlan()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := CheckMemory(p); err != nil {
		t.Fatal(err)
	}
	if o := p.Steps[2].Out; o.Floats() != 20 || o.Start() != 3 || o.RowStride() != 5 {
		t.Errorf("slice: %d floats from %d, row stride %d; want 20 from 3, 5", o.Floats(), o.Start(), o.RowStride())
	}
	var buf bytes.Buffer
	if err := Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	q, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if o := q.Steps[2].Out; o.Pitch != 5 || o.ChanOff != 3 {
		t.Errorf("decoded slice %+v", o)
	}
	for _, c := range []struct {
		name, want string
		mut        func(p *Plan)
		validate   bool
	}{
		{"overlapping channels", "overlapping live channels", func(p *Plan) {
			p.Steps[2].Out.ChanOff, p.Steps[3].In[1].ChanOff = 2, 2
		}, false},
		// Channels of the Concat's output, read after it (slice-in-place):
		// that tensor, kept live.
		{"read after the concat", "", func(p *Plan) {
			p.Steps[4].In = []Operand{p.Steps[1].Out}
			p.Steps[4].WShape = ir.Shape{1, 3, 1, 1}
		}, false},
		{"read of storage no step wrote", "no earlier step wrote", func(p *Plan) {
			p.Steps[4].In = []Operand{{Off: 4, Shape: ir.Shape{1, 3, 2, 2}, NHWC: true, Pitch: 5}}
			p.Steps[4].WShape = ir.Shape{1, 3, 1, 1}
		}, false},
		{"slice read keeps its tensor live", "overlaps", func(p *Plan) {
			// y reads channels 1…2 of x (slice-in-place) and is written
			// over x, which that read keeps live
			p.Steps[4].In = []Operand{{Off: 32, Shape: ir.Shape{1, 2, 2, 2}, NHWC: true, Pitch: 4, ChanOff: 1}}
			p.Steps[4].WShape = ir.Shape{1, 2, 1, 1}
			p.Steps[4].Out.Off = 32
			p.Steps[5].In[0].Off = 32
		}, false},
		{"slice read of a live tensor", "", func(p *Plan) {
			p.Steps[4].In = []Operand{{Off: 32, Shape: ir.Shape{1, 2, 2, 2}, NHWC: true, Pitch: 4, ChanOff: 1}}
			p.Steps[4].WShape = ir.Shape{1, 2, 1, 1}
		}, false},
		{"another tensor inside", "overlaps", func(p *Plan) {
			p.Steps[2].Out = Operand{Off: 8, Shape: ir.Shape{1, 2, 2, 2}, NHWC: true}
			p.Steps[3].In[1] = p.Steps[2].Out
		}, false},
		{"pitch below the channels", "channel slice", func(p *Plan) {
			p.Steps[2].Out.Pitch = 4
		}, true},
		{"slice of an NCHW tensor", "channel slice", func(p *Plan) {
			p.Steps[1].Out.NHWC = false
		}, true},
	} {
		p := slicePlan()
		c.mut(p)
		var err error
		if c.validate {
			err = p.Validate()
		} else {
			err = CheckMemory(p)
		}
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}
