package reference

import (
	"math"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// Broadcasting Add of [1,C,1,1] with [N,C,H,W]: every element of channel c
// gains bias c.
func TestAddBroadcastChannel(t *testing.T) {
	x := seq(0, 1, 2, 3, 2, 2)
	bias := tensorOf([]int{1, 3, 1, 1}, 100, 200, 300)
	got := evalOp(t, ir.OpAdd, ir.Attrs{}, x, bias)
	want := make([]float32, 24)
	for i := range want {
		want[i] = float32(i) + 100*float32(i/4%3+1)
	}
	expect(t, "add", got, []int{2, 3, 2, 2}, 0, want...)
	// Commuted operands give the same result.
	expect(t, "add commuted", evalOp(t, ir.OpAdd, ir.Attrs{}, bias, x), []int{2, 3, 2, 2}, 0, want...)
}

// Both operands broadcast: [2,1] op [3] → [2,3].
func TestBinaryBroadcastBothSides(t *testing.T) {
	a := tensorOf([]int{2, 1}, 10, 20)
	b := tensorOf([]int{3}, 1, 2, 4)
	expect(t, "sub", evalOp(t, ir.OpSub, ir.Attrs{}, a, b), []int{2, 3}, 0, 9, 8, 6, 19, 18, 16)
	expect(t, "mul", evalOp(t, ir.OpMul, ir.Attrs{}, a, b), []int{2, 3}, 0, 10, 20, 40, 20, 40, 80)
	expect(t, "div", evalOp(t, ir.OpDiv, ir.Attrs{}, a, b), []int{2, 3}, 0, 10, 5, 2.5, 20, 10, 5)
	inf := float32(math.Inf(1))
	expect(t, "div by zero", evalOp(t, ir.OpDiv, ir.Attrs{}, a, tensorOf([]int{1}, 0)), []int{2, 1}, 0, inf, inf)
}

// The SE channel scale: Mul of [N,C,H,W] by [N,C,1,1].
func TestMulChannelScale(t *testing.T) {
	x := seq(1, 1, 1, 2, 1, 2)
	s := tensorOf([]int{1, 2, 1, 1}, 0.5, -1)
	expect(t, "scale", evalOp(t, ir.OpMul, ir.Attrs{}, x, s), []int{1, 2, 1, 2}, 0, 0.5, 1, -3, -4)
}

func TestBinaryBroadcastError(t *testing.T) {
	a, b := ir.NewTensor(2, 3), ir.NewTensor(4)
	_, err := Eval(nodeFor(ir.OpAdd, ir.Attrs{}, a, b), []*ir.Tensor{a, b})
	if err == nil || !strings.Contains(err.Error(), "n_Add") {
		t.Fatalf("error %v, want a broadcast error naming node n_Add", err)
	}
}

// BatchNorm with ε = 0.25: channel 0 (scale 2, bias 1, mean 3, var 3.75)
// computes 2·(x−3)/2 + 1 = x − 2; channel 1 (scale 1, bias 0, mean 0,
// var 0.75) computes x.
func TestBatchNormHand(t *testing.T) {
	x := tensorOf([]int{1, 2, 1, 2}, 3, 5, -1, 7)
	scale := tensorOf([]int{2}, 2, 1)
	bias := tensorOf([]int{2}, 1, 0)
	mean := tensorOf([]int{2}, 3, 0)
	variance := tensorOf([]int{2}, 3.75, 0.75)
	a := ir.Attrs{Epsilon: 0.25}
	got := evalOp(t, ir.OpBatchNorm, a, x, scale, bias, mean, variance)
	// channel 0: 2·(x−3)/sqrt(4) + 1 = x − 2; channel 1: x/sqrt(1) = x.
	expect(t, "bn", got, []int{1, 2, 1, 2}, 1e-6, 1, 3, -1, 7)
}

func TestActivationsHand(t *testing.T) {
	x := tensorOf([]int{6}, -4, -1.5, 0, 1, 3, nan32)
	expect(t, "relu", evalOp(t, ir.OpRelu, ir.Attrs{}, x), []int{6}, 0, 0, 0, 0, 1, 3, nan32)
	expect(t, "relu6", evalOp(t, ir.OpClip, ir.Relu6Attrs(), x), []int{6}, 0, 0, 0, 0, 1, 3, nan32)
	expect(t, "clip", evalOp(t, ir.OpClip, ir.ClipAttrs(-1, 1), x), []int{6}, 0, -1, -1, 0, 1, 1, nan32)
	// x·relu6(x+3)/6: -4 → 0, -1.5 → -1.5·1.5/6, 1 → 4/6, 3 → 3.
	expect(t, "hardswish", evalOp(t, ir.OpHardSwish, ir.Attrs{}, x), []int{6}, 1e-6, 0, -0.375, 0, 4.0/6, 3, nan32)
	// ONNX default alpha 0.2, beta 0.5.
	expect(t, "hardsigmoid", evalOp(t, ir.OpHardSigmoid, ir.Attrs{Alpha: 0.2, Beta: 0.5}, x), []int{6}, 1e-6, 0, 0.2, 0.5, 0.7, 1, nan32)
	s := func(v float64) float32 { return float32(1 / (1 + math.Exp(-v))) }
	expect(t, "sigmoid", evalOp(t, ir.OpSigmoid, ir.Attrs{}, x), []int{6}, 1e-6, s(-4), s(-1.5), 0.5, s(1), s(3), nan32)
	expect(t, "swish", evalOp(t, ir.OpSwish, ir.Attrs{}, x), []int{6}, 1e-6, -4*s(-4), -1.5*s(-1.5), 0, s(1), 3*s(3), nan32)
}

// ReLU6 of NaN must stay NaN (not 0 or 6, which min/max instructions in
// the wrong order would give).
func TestNaNThroughRelu6(t *testing.T) {
	x := tensorOf([]int{1, 1, 1, 3}, nan32, -nan32, 7)
	got := evalOp(t, ir.OpClip, ir.Relu6Attrs(), x)
	expect(t, "relu6 NaN", got, []int{1, 1, 1, 3}, 0, nan32, nan32, 6)
}
