package onnx

import (
	"fmt"
	"math"
	"slices"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
)

// convertResize imports Resize (opsets 10–19) and Upsample (7, 9, 10) on
// the H and W axes of a 4-D tensor: modes nearest and linear, every
// coordinate_transformation_mode and nearest_mode of the spec, output given
// by scales or by sizes (which may come from folded Shape/Slice/Concat
// arithmetic). Cubic, antialias and tf_crop_and_resize are refused naming
// the attribute.
func convertResize(c *nodeCtx) error {
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	if err := need4D(c, "input", x.Shape); err != nil {
		return err
	}
	op := c.n.GetOpType()
	a := ir.Attrs{ResizeMode: c.a.str("mode", "nearest"), CoordMode: "asymmetric", NearestMode: "floor"}
	// Before opset 11 (and always for Upsample) the input coordinate is
	// output/scale and nearest takes the floor, as PyTorch's nearest does.
	modern := op == "Resize" && c.opset() >= 11
	if modern {
		a.CoordMode = c.a.str("coordinate_transformation_mode", "half_pixel")
		a.NearestMode = c.a.str("nearest_mode", "round_prefer_floor")
	}
	if a.ResizeMode == "bilinear" && op == "Upsample" {
		a.ResizeMode = "linear" // Upsample-7's spelling
	}
	switch {
	case a.ResizeMode == "cubic":
		return fmt.Errorf("attribute mode=\"cubic\" is not supported (mnc resizes with nearest or linear)")
	case !slices.Contains(ir.ResizeModes, a.ResizeMode):
		return fmt.Errorf("attribute mode=%q is not one of nearest, linear, cubic", a.ResizeMode)
	case a.CoordMode == "tf_crop_and_resize" || a.CoordMode == "tf_half_pixel_for_nn":
		return fmt.Errorf("attribute coordinate_transformation_mode=%q is not supported", a.CoordMode)
	case !slices.Contains(ir.CoordModes, a.CoordMode):
		return fmt.Errorf("attribute coordinate_transformation_mode=%q is not supported", a.CoordMode)
	case a.CoordMode == "half_pixel_symmetric" && c.opset() < 19:
		return fmt.Errorf("attribute coordinate_transformation_mode=\"half_pixel_symmetric\" needs opset 19 (the model has %d)", c.opset())
	case a.ResizeMode == "nearest" && !slices.Contains(ir.NearestModes, a.NearestMode):
		return fmt.Errorf("attribute nearest_mode=%q is not one of %v", a.NearestMode, ir.NearestModes)
	case c.a.int("antialias", 0) != 0:
		return fmt.Errorf("attribute antialias=1 is not supported")
	}
	if a.ResizeMode != "nearest" {
		a.NearestMode = ""
	}

	var scales []float32
	var sizes []int
	switch {
	case op == "Upsample" && c.opset() < 9:
		scales = c.a.floats("scales")
		if scales == nil {
			return fmt.Errorf("attribute scales is missing")
		}
	case op == "Upsample" || c.opset() < 11:
		k, err := c.konst(1)
		if err != nil {
			return fmt.Errorf("scales: %v", err)
		}
		scales = k.floats()
	default:
		if c.input(2) != nil {
			k, err := c.konst(2)
			if err != nil {
				return fmt.Errorf("scales: %v", err)
			}
			scales = k.floats()
		}
		if sizes, err = c.konstInts(3); err != nil {
			return fmt.Errorf("sizes: %v", err)
		}
	}
	if len(scales) > 0 && len(sizes) > 0 {
		return fmt.Errorf("both scales and sizes are given; ONNX allows one")
	}
	if len(scales) == 0 && len(sizes) == 0 {
		return fmt.Errorf("neither scales nor sizes is given")
	}
	axes := []int{0, 1, 2, 3}
	if ax := c.a.ints("axes"); ax != nil {
		axes = axes[:0]
		for _, v := range ax {
			k, err := normAxis(int(v), 4)
			if err != nil {
				return fmt.Errorf("attribute axes %v: %v", ax, err)
			}
			axes = append(axes, k)
		}
	}
	n := max(len(scales), len(sizes))
	if n != len(axes) {
		return fmt.Errorf("%d scales/sizes for %d axes", n, len(axes))
	}
	full := [4]float64{1, 1, 1, 1}
	fullSize := [4]int{-2, -2, -2, -2} // -2: not given
	for k, ax := range axes {
		if len(scales) > 0 {
			full[ax] = float64(scales[k])
			if !(scales[k] > 0) || scales[k] > 1<<20 {
				return fmt.Errorf("scale %g of axis %d must be positive and at most 2^20", scales[k], ax)
			}
		} else {
			fullSize[ax] = sizes[k]
			if sizes[k] <= 0 || sizes[k] > maxElements {
				return fmt.Errorf("size %d of axis %d must be positive and at most %d", sizes[k], ax, maxElements)
			}
		}
	}
	if len(sizes) > 0 {
		switch policy := c.a.str("keep_aspect_ratio_policy", "stretch"); policy {
		case "stretch":
		case "not_larger", "not_smaller":
			if x.Shape[2] < 0 || x.Shape[3] < 0 {
				return fmt.Errorf("keep_aspect_ratio_policy=%s needs a known input size, got %v", policy, x.Shape)
			}
			s := math.Inf(1)
			if policy == "not_smaller" {
				s = math.Inf(-1)
			}
			for _, ax := range axes {
				r := float64(fullSize[ax]) / float64(x.Shape[ax])
				if policy == "not_larger" {
					s = math.Min(s, r)
				} else {
					s = math.Max(s, r)
				}
			}
			for _, ax := range axes {
				full[ax] = s
				fullSize[ax] = int(s*float64(x.Shape[ax]) + 0.5)
			}
		default:
			return fmt.Errorf("attribute keep_aspect_ratio_policy=%q is not one of stretch, not_larger, not_smaller", policy)
		}
	}
	for ax := 0; ax < 2; ax++ {
		if full[ax] != 1 || fullSize[ax] != -2 && x.Shape[ax] >= 0 && fullSize[ax] != x.Shape[ax] {
			return fmt.Errorf("resizing axis %d (batch or channels) is not supported: mnc resizes H and W", ax)
		}
	}
	for k := 0; k < 2; k++ {
		ax := k + 2
		if fullSize[ax] != -2 {
			a.ResizeSizes[k] = fullSize[ax]
			if full[ax] != 1 { // keep_aspect_ratio_policy: the common scale
				a.ResizeScales[k] = float32(full[ax])
			}
		} else {
			a.ResizeScales[k] = float32(full[ax])
		}
	}
	return c.emit(ir.OpResize, a, x)
}

// convertConvTranspose imports a 2-D ConvTranspose: strides, pads,
// dilations, groups, output_padding, and output_shape or auto_pad (which
// become pads as ONNX defines them), with an optional bias.
func convertConvTranspose(c *nodeCtx) error {
	x, w, b, kernel, err := convOperands(c, "[in, out/group, kh, kw]")
	if err != nil {
		return err
	}
	a := ir.Attrs{Strides: [2]int{1, 1}, Dilations: [2]int{1, 1}, Group: int(c.a.int("group", 1))}
	for _, f := range []struct {
		name string
		dst  *[2]int
	}{{"strides", &a.Strides}, {"dilations", &a.Dilations}, {"output_padding", &a.OutputPadding}} {
		if v := c.a.ints(f.name); v != nil {
			if len(v) != 2 {
				return fmt.Errorf("attribute %s %v: want 2 values", f.name, v)
			}
			for k := range v {
				if v[k] < 0 || v[k] > 1<<20 {
					return fmt.Errorf("attribute %s %v out of range", f.name, v)
				}
				f.dst[k] = int(v[k])
			}
		}
	}
	if p := c.a.ints("pads"); p != nil {
		if len(p) != 4 {
			return fmt.Errorf("attribute pads %v: want 4 values (top, left, bottom, right)", p)
		}
		for k := range p {
			if p[k] < 0 || p[k] > 1<<20 {
				return fmt.Errorf("attribute pads %v must be non-negative", p)
			}
			a.Pads[k] = int(p[k])
		}
	}
	mode := c.a.str("auto_pad", "NOTSET")
	switch mode {
	case "NOTSET", "", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return fmt.Errorf("attribute auto_pad=%q is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", mode)
	}
	if mode == "VALID" {
		a.Pads = [4]int{}
	}
	outShape := c.a.ints("output_shape")
	if outShape != nil && len(outShape) != 2 {
		if len(outShape) != 4 {
			return fmt.Errorf("attribute output_shape %v: want the 2 spatial sizes", outShape)
		}
		outShape = outShape[2:]
	}
	if outShape != nil || mode == "SAME_UPPER" || mode == "SAME_LOWER" {
		for k := 0; k < 2; k++ {
			in := x.Shape[2+k]
			if in < 0 {
				return fmt.Errorf("output_shape/auto_pad need a known input size, got %v", x.Shape)
			}
			want := in * a.Strides[k]
			if outShape != nil {
				want = int(outShape[k])
				if want <= 0 || want > maxElements {
					return fmt.Errorf("attribute output_shape %v must be positive and at most %d", outShape, maxElements)
				}
			}
			total := a.Strides[k]*(in-1) + a.OutputPadding[k] + (kernel[k]-1)*a.Dilations[k] + 1 - want
			if total < 0 {
				// A larger output than the kernel covers: the extra rows
				// (at the end) hold only the bias, as in ONNX Runtime.
				a.Pads[k], a.Pads[k+2] = 0, total
				continue
			}
			if mode == "SAME_UPPER" { // the odd row at the end (ONNX's definition)
				a.Pads[k], a.Pads[k+2] = total/2, total-total/2
			} else {
				a.Pads[k], a.Pads[k+2] = total-total/2, total/2
			}
		}
	}
	in := []*ir.Value{x, w}
	if b != nil {
		in = append(in, b)
	}
	return c.emit(ir.OpConvTranspose, a, in...)
}

// dense writes Resize (opset 17: X, roi, scales or sizes) and ConvTranspose.
func (ex *exporter) dense(n *ir.Node, in []string) error {
	a, out := n.Attrs, n.Output().Name
	if n.Op == ir.OpConvTranspose {
		at := []*pb.AttributeProto{attrInts("strides", a.Strides[:]), attrInts("dilations", a.Dilations[:]),
			attrInt("group", a.Group), attrInts("output_padding", a.OutputPadding[:])}
		if a.Pads[2] < 0 || a.Pads[3] < 0 {
			// Only output_shape spells an output longer than the kernel covers.
			if a.Pads[0] != 0 || a.Pads[1] != 0 {
				return fmt.Errorf("pads %v cannot be written as ONNX pads or output_shape", a.Pads)
			}
			s := n.Output().Shape
			at = append(at, attrInts("output_shape", []int{s[2], s[3]}))
		} else {
			at = append(at, attrInts("pads", a.Pads[:]))
		}
		if a.Fused.Residual {
			return fmt.Errorf("a fused residual on ConvTranspose has no ONNX spelling")
		}
		if a.Fused.Act == ir.ActNone {
			ex.emit("ConvTranspose", n.Name, in, out, at...)
			return nil
		}
		core := ex.fresh(out + "/ConvTranspose")
		ex.emit("ConvTranspose", n.Name, in, core, at...)
		ex.activation(ex.fresh(n.Name+"/"+a.Fused.Act.String()), a.Fused, core, out)
		return nil
	}
	if !slices.Contains([]string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"}, a.CoordMode) {
		return fmt.Errorf("coordinate_transformation_mode %q has no opset-%d spelling", a.CoordMode, ExportOpset)
	}
	at := []*pb.AttributeProto{attrString("mode", a.ResizeMode), attrString("coordinate_transformation_mode", a.CoordMode)}
	if a.ResizeMode == "nearest" {
		at = append(at, attrString("nearest_mode", a.NearestMode))
	}
	x := n.Input(0).Shape
	core := out
	if a.Fused.Residual { // fuse-upsample-add: Resize, then Add of input 1
		if len(in) < 2 || in[1] == "" {
			return fmt.Errorf("fused residual input is missing")
		}
		core = ex.fresh(out + "/Resize")
	}
	switch {
	case a.ResizeSizes == [2]int{}:
		scales := ex.addInit(floatTensor(out+"/scales", []int{4}, []float32{1, 1, a.ResizeScales[0], a.ResizeScales[1]}))
		ex.emit("Resize", n.Name, []string{in[0], "", scales}, core, at...)
	case a.ResizeScales == [2]float32{} && x[0] >= 0 && x[1] >= 0:
		sizes := ex.addInit(intTensor(out+"/sizes", []int{x[0], x[1], a.ResizeSizes[0], a.ResizeSizes[1]}))
		ex.emit("Resize", n.Name, []string{in[0], "", "", sizes}, core, at...)
	default:
		return fmt.Errorf("resize with both sizes %v and scales %v (or an unknown batch) has no ONNX spelling", a.ResizeSizes, a.ResizeScales)
	}
	if a.Fused.Residual {
		ex.emit("Add", ex.fresh(n.Name+"/residual_add"), []string{core, in[1]}, out)
	}
	return nil
}
