package reference

import "github.com/mnc-go/mnc/ir"

// slice is ONNX Slice on row-major x (ir/slice.go).
func slice(a *ir.Attrs, x *ir.Tensor, shape ir.Shape) (*ir.Tensor, error) {
	starts, _, steps, err := ir.SliceBounds(a, x.Shape)
	if err != nil {
		return nil, err
	}
	y := ir.NewTensor(shape...)
	r := len(shape)
	if len(y.Data) == 0 {
		return y, nil
	}
	stride := make([]int, r)
	for k, s := r-1, 1; k >= 0; k-- {
		stride[k] = s
		s *= x.Shape[k]
	}
	idx := make([]int, r)
	for i := range y.Data {
		off := 0
		for k := range r {
			off += (starts[k] + idx[k]*steps[k]) * stride[k]
		}
		y.Data[i] = x.Data[off]
		for k := r - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return y, nil
}
