package plan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// Byte operands: the innermost dimension is padded to a multiple of 4 and
// the arena size is counted in floats.
func TestU8OperandSize(t *testing.T) {
	for _, c := range []struct {
		o             Operand
		stride, bytes int
	}{
		{Operand{Shape: ir.Shape{3, 5, 2, 7}, NHWC: true, DType: U8}, 8, 3 * 2 * 7 * 8},
		{Operand{Shape: ir.Shape{3, 5, 2, 7}, DType: U8}, 8, 3 * 5 * 2 * 8},
		{Operand{Shape: ir.Shape{2, 1280}, DType: U8}, 1280, 2560},
		{Operand{Shape: ir.Shape{1, 3, 1, 1}, NHWC: true, DType: U8}, 4, 4},
		{Operand{Shape: ir.Shape{1, 3, 1, 1}, NHWC: true}, 3, 12},
	} {
		if s, b := c.o.RowStride(), c.o.Bytes(); s != c.stride || b != c.bytes || c.o.Floats() != (b+3)/4 {
			t.Errorf("%v nhwc=%v %s: stride %d, bytes %d, floats %d; want %d, %d", c.o.Shape, c.o.NHWC, c.o.DType, s, b, c.o.Floats(), c.stride, c.bytes)
		}
	}
}

// A byte operand survives the file; a bad storage type or zero point is
// refused by Validate (and so by Decode).
func TestRoundTripU8Operand(t *testing.T) {
	p := samplePlan()
	y := Operand{Off: 32, Shape: ir.Shape{1, 3, 2, 2}, NHWC: true, DType: U8, ZP: 255}
	p.Steps[1].Out, p.Steps[2].In[0], p.Steps[2].Out = y, y, y
	p.Steps = p.Steps[:3]
	p.Steps = append(p.Steps, Step{Kind: KindToNCHW, Name: "y", In: []Operand{y}, Out: p.Outputs[0].Buf})
	q, err := Decode(bytes.NewReader(encode(t, p)))
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Steps[2].In[0]; got.DType != U8 || got.ZP != 255 || got.End() != 32+4 {
		t.Fatalf("decoded operand %+v (end %d)", got, got.End())
	}
	p.Steps[1].Out.ZP = 256
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "zero point 256") {
		t.Errorf("zero point 256: %v", err)
	}
	p.Steps[1].Out.ZP, p.Steps[1].Out.DType = 3, F32
	if err := p.Validate(); err == nil {
		t.Error("a float operand with a zero point passed")
	}
	p.Steps[1].Out.ZP = 0
	p.Outputs[0].Buf.DType = U8
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("a byte graph output: %v", err)
	}
}
