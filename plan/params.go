package plan

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

// KernelEpilogue converts an IR epilogue to the kernels' (kernels.Act is
// ir.Act).
func KernelEpilogue(e ir.Epilogue) kernels.Epilogue {
	k := kernels.Epilogue{Act: e.Act, Min: e.Min, Max: e.Max, Alpha: e.Alpha, Beta: e.Beta}
	if e.Slope != nil {
		k.Slope = e.Slope.Data
	}
	return k
}

// ConvParams derives the kernels' parameters for one image of a KindConv
// step from its operands and attributes. Both the packer and the runtime
// use it, so they cannot disagree.
func ConvParams(s *Step) (kernels.ConvParams, error) {
	if len(s.In) == 0 {
		return kernels.ConvParams{}, fmt.Errorf("conv step has no input")
	}
	x, y, w := s.In[0].Shape, s.Out.Shape, s.WShape
	if len(x) != 4 || len(y) != 4 || len(w) != 4 {
		return kernels.ConvParams{}, fmt.Errorf("conv needs 4-D input, output and weight, got %v %v %v", x, y, w)
	}
	a := s.Attrs
	p := kernels.ConvParams{
		H: x[2], W: x[3], Cin: x[1], Cout: y[1], KH: w[2], KW: w[3],
		SH: a.Strides[0], SW: a.Strides[1], DH: a.Dilations[0], DW: a.Dilations[1],
		PadT: a.Pads[0], PadL: a.Pads[1], OH: y[2], OW: y[3], Ep: KernelEpilogue(a.Fused),
	}
	if w[0] != p.Cout || w[1] != p.Cin || x[0] != y[0] || p.SH < 1 || p.SW < 1 || p.DH < 1 || p.DW < 1 ||
		p.PadT < 0 || p.PadL < 0 || ir.ConvOutSize(p.H, p.KH, p.SH, p.PadT, a.Pads[2], p.DH, false) != p.OH ||
		ir.ConvOutSize(p.W, p.KW, p.SW, p.PadL, a.Pads[3], p.DW, false) != p.OW {
		return kernels.ConvParams{}, fmt.Errorf("conv geometry is inconsistent: in %v out %v weight %v strides %v pads %v dilations %v", x, y, w, a.Strides, a.Pads, a.Dilations)
	}
	return p, nil
}

// DWParams derives the kernels' parameters for one image of a KindDWConv step.
func DWParams(s *Step) (kernels.DWParams, error) {
	if len(s.In) == 0 {
		return kernels.DWParams{}, fmt.Errorf("depthwise step has no input")
	}
	x, y, w := s.In[0].Shape, s.Out.Shape, s.WShape
	if len(x) != 4 || len(y) != 4 || len(w) != 4 {
		return kernels.DWParams{}, fmt.Errorf("depthwise conv needs 4-D input, output and weight, got %v %v %v", x, y, w)
	}
	a := s.Attrs
	p := kernels.DWParams{
		H: x[2], W: x[3], C: x[1], KH: w[2], KW: w[3], SH: a.Strides[0], SW: a.Strides[1],
		PadT: a.Pads[0], PadL: a.Pads[1], OH: y[2], OW: y[3], Ep: KernelEpilogue(a.Fused),
	}
	if w[0] != p.C || w[1] != 1 || y[1] != p.C || x[0] != y[0] || p.SH < 1 || p.SW < 1 || p.PadT < 0 || p.PadL < 0 ||
		ir.ConvOutSize(p.H, p.KH, p.SH, p.PadT, a.Pads[2], 1, false) != p.OH ||
		ir.ConvOutSize(p.W, p.KW, p.SW, p.PadL, a.Pads[3], 1, false) != p.OW {
		return kernels.DWParams{}, fmt.Errorf("depthwise geometry is inconsistent: in %v out %v weight %v strides %v pads %v", x, y, w, a.Strides, a.Pads)
	}
	return p, nil
}

// GemmDims returns the rows, columns and depth of a KindGemm step: rows are
// pixels of every image (1×1 conv on NHWC) or images (FC).
func GemmDims(s *Step) (m, n, k int, err error) {
	if len(s.In) == 0 {
		return 0, 0, 0, fmt.Errorf("gemm step has no input")
	}
	x, y := s.In[0].Shape, s.Out.Shape
	switch {
	case len(x) == 4 && len(y) == 4:
		m, n, k = y[0]*y[2]*y[3], y[1], x[1]
		if x[0] != y[0] || x[2] != y[2] || x[3] != y[3] {
			err = fmt.Errorf("1×1 conv input %v and output %v differ in pixels", x, y)
		}
	case len(x) == 2 && len(y) == 2:
		m, n, k = y[0], y[1], x[1]
		if x[0] != y[0] {
			err = fmt.Errorf("FC input %v and output %v differ in rows", x, y)
		}
	default:
		err = fmt.Errorf("gemm operands must be 4-D or 2-D, got %v and %v", x, y)
	}
	if err == nil && len(s.WShape) >= 2 && (s.WShape[0] != n) {
		err = fmt.Errorf("gemm weight %v does not have %d outputs", s.WShape, n)
	}
	return m, n, k, err
}

// QDWParams derives the int8 depthwise kernels' parameters for one image
// of a KindQDWConv step (byte operands: strides and zero points from them).
func QDWParams(s *Step) (kernels.QDWParams, error) {
	d, err := DWParams(s)
	if err != nil {
		return kernels.QDWParams{}, err
	}
	x, y := s.In[0], s.Out
	if x.DType != U8 || y.DType != U8 || !x.NHWC || !y.NHWC {
		return kernels.QDWParams{}, fmt.Errorf("int8 depthwise operands must be NHWC bytes")
	}
	if a := s.Attrs; a.Dilations[0] != 1 || a.Dilations[1] != 1 {
		return kernels.QDWParams{}, fmt.Errorf("int8 depthwise conv with dilations %v", a.Dilations)
	}
	return kernels.QDWParams{H: d.H, W: d.W, C: d.C, KH: d.KH, KW: d.KW, SH: d.SH, SW: d.SW, PadT: d.PadT, PadL: d.PadL,
		OH: d.OH, OW: d.OW, InStride: x.RowStride(), OutStride: y.RowStride(), XZP: x.ZP, YZP: y.ZP}, nil
}

// ConvBytesBand is how many output rows a dense conv step writing bytes
// (an int8 plan's stem) computes at a time: into float scratch with its
// requantizing epilogue, then stored as bytes while in cache.
func ConvBytesBand(p *kernels.ConvParams) int {
	return max(1, min(p.OH, 8192/max(1, p.OW*p.Cout)))
}

// ConvBytesScratch is the per-thread scratch (floats) of a dense conv step
// writing bytes: the kernel's for one band, then the band's float output.
func ConvBytesScratch(set *kernels.Set, p *kernels.ConvParams) int {
	band := ConvBytesBand(p)
	return (set.ConvScratchSize(p, band)+15)&^15 + band*p.OW*p.Cout
}

// QConvParams derives the int8 dense conv kernels' parameters for one
// image of a KindQConv step.
func QConvParams(s *Step) (kernels.QConvParams, error) {
	c, err := ConvParams(s)
	if err != nil {
		return kernels.QConvParams{}, err
	}
	x, y := s.In[0], s.Out
	if x.DType != U8 || y.DType != U8 || !x.NHWC || !y.NHWC {
		return kernels.QConvParams{}, fmt.Errorf("int8 conv operands must be NHWC bytes")
	}
	if c.DH != 1 || c.DW != 1 {
		return kernels.QConvParams{}, fmt.Errorf("int8 conv with dilations %d×%d", c.DH, c.DW)
	}
	return kernels.QConvParams{H: c.H, W: c.W, Cin: c.Cin, Cout: c.Cout, KH: c.KH, KW: c.KW, SH: c.SH, SW: c.SW, PadT: c.PadT, PadL: c.PadL,
		OH: c.OH, OW: c.OW, InStride: x.RowStride(), OutStride: y.RowStride(), XZP: x.ZP, YZP: y.ZP}, nil
}
