package reference

import (
	"math"

	"github.com/mnc-go/mnc/ir"
)

// unary applies f to every element.
func unary(x *ir.Tensor, f func(float32) float32) *ir.Tensor {
	out := ir.NewTensor(x.Shape...)
	for i, v := range x.Data {
		out.Data[i] = f(v)
	}
	return out
}

// binary applies f elementwise under numpy broadcasting, in float32 as
// ONNX's float operators do.
func binary(x, y *ir.Tensor, shape ir.Shape, f func(a, b float32) float32) *ir.Tensor {
	xi := broadcastIndex(x.Shape, shape)
	yi := broadcastIndex(y.Shape, shape)
	out := ir.NewTensor(shape...)
	for i := range out.Data {
		out.Data[i] = f(x.Data[xi[i]], y.Data[yi[i]])
	}
	return out
}

// batchNorm is ONNX BatchNormalization in inference mode, per channel
// (axis 1): y = scale·(x − mean)/sqrt(var + ε) + bias.
func batchNorm(a *ir.Attrs, x, scale, bias, mean, variance *ir.Tensor) *ir.Tensor {
	out := ir.NewTensor(x.Shape...)
	c := x.Shape[1]
	inner := 1
	for _, d := range x.Shape[2:] {
		inner *= d
	}
	for i, v := range x.Data {
		ch := (i / inner) % c
		inv := 1 / math.Sqrt(float64(variance.Data[ch])+float64(a.Epsilon))
		y := float64(scale.Data[ch])*(float64(v)-float64(mean.Data[ch]))*inv + float64(bias.Data[ch])
		out.Data[i] = float32(y)
	}
	return out
}
