package plan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

// encoder appends the payload: integers as zig-zag varints, float32 as
// 4 little-endian bytes, strings and slices with a length prefix.
type encoder struct{ buf []byte }

func (e *encoder) int(v int) { e.buf = binary.AppendVarint(e.buf, int64(v)) }
func (e *encoder) bool(v bool) {
	b := byte(0)
	if v {
		b = 1
	}
	e.buf = append(e.buf, b)
}
func (e *encoder) f32(v float32) {
	e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(v))
}
func (e *encoder) str(s string) { e.int(len(s)); e.buf = append(e.buf, s...) }

func (e *encoder) ints(v []int) {
	e.int(len(v))
	for _, x := range v {
		e.int(x)
	}
}

func (e *encoder) operand(o Operand) {
	e.int(o.Off)
	e.ints(o.Shape)
	e.bool(o.NHWC)
	e.int(int(o.DType)) // format 6
	e.int(int(o.ZP))
	e.int(o.Pitch) // format 10
	e.int(o.ChanOff)
}

func (e *encoder) io(v []IO) {
	e.int(len(v))
	for _, x := range v {
		e.str(x.Name)
		e.operand(x.Buf)
	}
}

func (e *encoder) attrs(a *ir.Attrs) {
	for _, v := range [...]int{a.Kernel[0], a.Kernel[1], a.Strides[0], a.Strides[1], a.Pads[0], a.Pads[1], a.Pads[2], a.Pads[3], a.Dilations[0], a.Dilations[1], a.Group, a.Axis} {
		e.int(v)
	}
	for _, v := range [...]bool{a.CeilMode, a.CountIncludePad, a.TransA, a.TransB, a.KeepDims, a.Fused.Residual} {
		e.bool(v)
	}
	for _, v := range [...]float32{a.Epsilon, a.Min, a.Max, a.Alpha, a.Beta, a.PadValue, a.Fused.Min, a.Fused.Max, a.Fused.Alpha, a.Fused.Beta} {
		e.f32(v)
	}
	e.ints(a.Shape)
	e.ints(a.Perm)
	e.ints(a.Axes)
	e.ints(a.PadAmounts)
	e.str(a.PadMode)
	e.int(int(a.Fused.Act))
	// Resize, ConvTranspose (format 3)
	e.str(a.ResizeMode)
	e.str(a.CoordMode)
	e.str(a.NearestMode)
	e.f32(a.ResizeScales[0])
	e.f32(a.ResizeScales[1])
	for _, v := range [...]int{a.ResizeSizes[0], a.ResizeSizes[1], a.OutputPadding[0], a.OutputPadding[1]} {
		e.int(v)
	}
	// A fused PRelu's slopes (format 4): shape, then values.
	if s := a.Fused.Slope; s != nil {
		e.ints(s.Shape)
		for _, v := range s.Data {
			e.f32(v)
		}
	} else {
		e.ints(nil)
	}
	e.int(int(a.QType))       // format 7: quantized steps' integer type
	e.bool(a.SelectLastIndex) // format 9: ArgMax
	e.ints(a.Starts)          // format 11: Slice
	e.ints(a.Ends)
	e.ints(a.Steps)
}

func (e *encoder) step(s *Step) {
	e.int(int(s.Kind))
	e.str(s.Name)
	e.int(int(s.Op))
	e.str(s.Algo)
	e.int(len(s.Fused))
	for _, f := range s.Fused {
		e.str(f)
	}
	e.int(len(s.In))
	for _, o := range s.In {
		e.operand(o)
	}
	e.ints(s.ConstIn)
	e.operand(s.Out)
	e.ints(s.Consts)
	e.ints(s.WShape)
	e.attrs(&s.Attrs)
	e.int(s.Scratch)
	e.bool(s.InPlace)
	e.int(s.InPlaceIn)
	e.int(len(s.Sub))
	for i := range s.Sub {
		e.step(&s.Sub[i])
	}
	e.int(s.Band)
	e.int(s.BandOff)
	e.int(s.BandThreads)
}

func (e *encoder) plan(p *Plan) {
	e.str(p.Name)
	e.int(int(p.ISA))
	e.int(p.Batch)
	e.int(p.ArenaSize)
	e.int(int(p.PeakBytes))
	e.io(p.Inputs)
	e.io(p.Outputs)
	e.int(len(p.Steps))
	for i := range p.Steps {
		e.step(&p.Steps[i])
	}
	e.str(p.Packing)
	// The blobs' values follow the description, aligned (format.go).
	e.int(len(p.Blobs))
	for _, b := range p.Blobs {
		e.int(len(b))
	}
}

// decoder reads what encoder wrote. The first error sticks; later reads
// return zero values, so decoding code needs no error checks of its own.
type decoder struct {
	buf []byte
	off int
	err error
	// blobLens are the blob lengths (floats) the description lists; the
	// values follow it (format.go).
	blobLens []int
}

var errTruncated = errors.New("unexpected end of payload")

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf[d.off:])
	if n <= 0 {
		d.fail(errTruncated)
		return 0
	}
	d.off += n
	if v > math.MaxInt32*int64(64) || v < -math.MaxInt32*int64(64) {
		d.fail(fmt.Errorf("integer %d out of range", v))
		return 0
	}
	return int(v)
}

// count reads a length prefix for elements of at least minBytes each and
// refuses one the remaining payload cannot hold.
func (d *decoder) count(minBytes int) int {
	n := d.int()
	if d.err != nil {
		return 0
	}
	if n < 0 || n > (len(d.buf)-d.off)/minBytes {
		d.fail(fmt.Errorf("length %d exceeds the %d bytes left", n, len(d.buf)-d.off))
		return 0
	}
	return n
}

func (d *decoder) bool() bool {
	if d.err != nil {
		return false
	}
	if d.off >= len(d.buf) {
		d.fail(errTruncated)
		return false
	}
	b := d.buf[d.off]
	d.off++
	if b > 1 {
		d.fail(fmt.Errorf("bad boolean byte %d", b))
	}
	return b == 1
}

func (d *decoder) f32() float32 {
	if d.err != nil {
		return 0
	}
	if len(d.buf)-d.off < 4 {
		d.fail(errTruncated)
		return 0
	}
	v := math.Float32frombits(binary.LittleEndian.Uint32(d.buf[d.off:]))
	d.off += 4
	return v
}

func (d *decoder) str() string {
	n := d.count(1)
	if d.err != nil {
		return ""
	}
	s := string(d.buf[d.off : d.off+n])
	d.off += n
	return s
}

func (d *decoder) ints() []int {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	v := make([]int, n)
	for i := range v {
		v[i] = d.int()
	}
	return v
}

func (d *decoder) operand() Operand {
	o := Operand{Off: d.int(), Shape: d.ints(), NHWC: d.bool()}
	dt, zp := d.int(), d.int()
	if d.err == nil && (dt < 0 || dt >= int(numDTypes) || zp < 0 || zp > 255) {
		d.fail(fmt.Errorf("operand storage type %d with zero point %d is invalid", dt, zp))
	}
	o.DType, o.ZP = DType(dt), int32(zp)
	o.Pitch, o.ChanOff = d.int(), d.int()
	return o
}

func (d *decoder) io() []IO {
	n := d.count(3)
	var v []IO
	for i := 0; i < n && d.err == nil; i++ {
		v = append(v, IO{Name: d.str(), Buf: d.operand()})
	}
	return v
}

func (d *decoder) attrs(a *ir.Attrs) {
	for _, p := range [...]*int{&a.Kernel[0], &a.Kernel[1], &a.Strides[0], &a.Strides[1], &a.Pads[0], &a.Pads[1], &a.Pads[2], &a.Pads[3], &a.Dilations[0], &a.Dilations[1], &a.Group, &a.Axis} {
		*p = d.int()
	}
	for _, p := range [...]*bool{&a.CeilMode, &a.CountIncludePad, &a.TransA, &a.TransB, &a.KeepDims, &a.Fused.Residual} {
		*p = d.bool()
	}
	for _, p := range [...]*float32{&a.Epsilon, &a.Min, &a.Max, &a.Alpha, &a.Beta, &a.PadValue, &a.Fused.Min, &a.Fused.Max, &a.Fused.Alpha, &a.Fused.Beta} {
		*p = d.f32()
	}
	a.Shape = d.ints()
	a.Perm = d.ints()
	a.Axes = d.ints()
	a.PadAmounts = d.ints()
	a.PadMode = d.str()
	a.Fused.Act = ir.Act(d.int())
	a.ResizeMode = d.str()
	a.CoordMode = d.str()
	a.NearestMode = d.str()
	a.ResizeScales[0] = d.f32()
	a.ResizeScales[1] = d.f32()
	for _, p := range [...]*int{&a.ResizeSizes[0], &a.ResizeSizes[1], &a.OutputPadding[0], &a.OutputPadding[1]} {
		*p = d.int()
	}
	if shape := ir.Shape(d.ints()); len(shape) > 0 && d.err == nil {
		n, left := 1, (len(d.buf)-d.off)/4
		for _, x := range shape {
			if n *= x; x < 0 || x > left || n > left {
				d.fail(fmt.Errorf("slope shape %v exceeds the %d bytes left", shape, len(d.buf)-d.off))
				return
			}
		}
		t := &ir.Tensor{Shape: shape, Data: make([]float32, n)}
		for i := range t.Data {
			t.Data[i] = d.f32()
		}
		a.Fused.Slope = t
	}
	if qt := d.int(); qt < 0 || qt > int(ir.QInt32) {
		d.fail(fmt.Errorf("unknown quantized type %d", qt))
	} else {
		a.QType = ir.QType(qt)
	}
	a.SelectLastIndex = d.bool()
	a.Starts, a.Ends, a.Steps = d.ints(), d.ints(), d.ints()
}

func (d *decoder) step(depth int) Step {
	var s Step
	s.Kind = Kind(d.int())
	s.Name = d.str()
	s.Op = ir.Op(d.int())
	s.Algo = d.str()
	nf := d.count(1)
	for i := 0; i < nf && d.err == nil; i++ {
		s.Fused = append(s.Fused, d.str())
	}
	ni := d.count(3)
	for i := 0; i < ni && d.err == nil; i++ {
		s.In = append(s.In, d.operand())
	}
	s.ConstIn = d.ints()
	s.Out = d.operand()
	s.Consts = d.ints()
	s.WShape = d.ints()
	d.attrs(&s.Attrs)
	s.Scratch = d.int()
	s.InPlace = d.bool()
	s.InPlaceIn = d.int()
	nsub := d.count(8)
	if nsub > 0 && depth > 0 {
		d.fail(fmt.Errorf("step %q: fused steps nest", s.Name))
	}
	for i := 0; i < nsub && d.err == nil; i++ {
		s.Sub = append(s.Sub, d.step(depth+1))
	}
	s.Band = d.int()
	s.BandOff = d.int()
	s.BandThreads = d.int()
	return s
}

func (d *decoder) plan() *Plan {
	p := &Plan{}
	p.Name = d.str()
	p.ISA = kernels.ISA(d.int())
	p.Batch = d.int()
	p.ArenaSize = d.int()
	p.PeakBytes = int64(d.int())
	p.Inputs = d.io()
	p.Outputs = d.io()
	ns := d.count(8)
	for i := 0; i < ns && d.err == nil; i++ {
		p.Steps = append(p.Steps, d.step(0))
	}
	p.Packing = d.str()
	nb := d.count(1)
	for i := 0; i < nb && d.err == nil; i++ {
		n := d.int()
		if n < 0 {
			d.fail(fmt.Errorf("blob %d has negative length %d", i, n))
		}
		d.blobLens = append(d.blobLens, n)
	}
	if d.err == nil {
		p.Blobs = make([][]float32, nb)
	}
	return p
}
