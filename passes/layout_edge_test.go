package passes

import (
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// TestChannelsLastEdges: a tf2onnx-style graph — an [N,H,W,C] input read
// by Transpose(0,3,1,2), and Transpose(0,2,3,1) back at the output or
// before a Flatten — runs with no layout conversion and no transpose step:
// those bytes already are the internal NHWC layout.
func TestChannelsLastEdges(t *testing.T) {
	toNCHW := ir.Attrs{Perm: []int{0, 3, 1, 2}}
	toNHWC := ir.Attrs{Perm: []int{0, 2, 3, 1}}

	b, x := newBuilder(1, 7, 7, 3)
	c := b.add(ir.OpRelu, ir.Attrs{}, b.conv(b.add(ir.OpTranspose, toNCHW, x), 8, 3, 2, 1, true))
	p := compileRun(t, b.finish(b.add(ir.OpTranspose, toNHWC, c)))
	wantSteps(t, "NHWC in and out", p, "conv")

	b, x = newBuilder(2, 5, 5, 4)
	c = b.conv(b.add(ir.OpTranspose, toNCHW, x), 6, 1, 1, 1, true)
	f := b.add(ir.OpFlatten, ir.Attrs{Axis: 1}, b.add(ir.OpTranspose, toNHWC, c))
	p = compileRun(t, b.finish(b.add(ir.OpGemm, ir.GemmAttrs(), f, b.rand(-1, 1, 3, 150), b.rand(-1, 1, 3))))
	wantSteps(t, "Keras Flatten of NHWC", p, "gemm", "gemm")

	// A channels-last softmax head: the Transpose is a view for the
	// (layout-aware) generic Softmax.
	b, x = newBuilder(1, 3, 6, 6)
	c = b.conv(x, 5, 1, 1, 1, true)
	p = compileRun(t, b.finish(b.add(ir.OpSoftmax, ir.Attrs{Axis: 3}, b.add(ir.OpTranspose, toNHWC, c))))
	wantSteps(t, "softmax head", p, "to-nhwc", "gemm", "generic:Softmax", "to-nchw")

	// Kept: the input also read untransposed, and a transposed value read
	// by a kernel step (which expects NHWC storage). (sink-transposes would
	// move the output Transpose below the Relu, to the edge.)
	b, x = newBuilder(1, 4, 4, 4)
	tr := b.add(ir.OpTranspose, toNCHW, x)
	y := b.add(ir.OpAdd, ir.Attrs{}, tr, x)
	back := b.add(ir.OpTranspose, toNHWC, b.conv(y, 4, 1, 1, 1, true))
	p = compileRunWith(t, b.finish(b.add(ir.OpRelu, ir.Attrs{}, back)), Options{Level: 2, Verify: true, Disable: []string{"sink-transposes"}})
	wantSteps(t, "shared edges", p, "to-nhwc", "generic:Transpose", "add", "gemm", "generic:Transpose", "act", "to-nchw")
}
