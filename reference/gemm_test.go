package reference

import (
	"math/rand/v2"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]]: A·B = [[4,5],[10,11]].
// With alpha 2 and beta 0.5 the result is 2·A·B + 0.5·C, whatever the
// operands' storage order.
func TestGemmHand(t *testing.T) {
	a := tensorOf([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	aT := tensorOf([]int{3, 2}, 1, 4, 2, 5, 3, 6)
	b := tensorOf([]int{3, 2}, 1, 0, 0, 1, 1, 1)
	bT := tensorOf([]int{2, 3}, 1, 0, 1, 0, 1, 1)
	cRow := tensorOf([]int{2}, 1, -2)
	cCol := tensorOf([]int{2, 1}, 1, 3)
	for _, tc := range []struct {
		name         string
		transA, tB   bool
		x, y         *ir.Tensor
		c            *ir.Tensor
		want         []float32
		alpha, betaC float32
	}{
		{"plain row C", false, false, a, b, cRow, []float32{8.5, 9, 20.5, 21}, 2, 0.5},
		{"transA", true, false, aT, b, cRow, []float32{8.5, 9, 20.5, 21}, 2, 0.5},
		{"transB", false, true, a, bT, cRow, []float32{8.5, 9, 20.5, 21}, 2, 0.5},
		{"transA transB col C", true, true, aT, bT, cCol, []float32{8.5, 10.5, 21.5, 23.5}, 2, 0.5},
		{"no C", false, false, a, b, nil, []float32{4, 5, 10, 11}, 1, 1},
	} {
		at := ir.Attrs{Alpha: tc.alpha, Beta: tc.betaC, TransA: tc.transA, TransB: tc.tB}
		var got *ir.Tensor
		if tc.c == nil {
			got = evalOp(t, ir.OpGemm, at, tc.x, tc.y)
		} else {
			got = evalOp(t, ir.OpGemm, at, tc.x, tc.y, tc.c)
		}
		expect(t, tc.name, got, []int{2, 2}, 1e-6, tc.want...)
	}
}

// Gemm's fused epilogue: A·Bᵀ = [0, 1], + C = [1, −2], + R = [0.5, 1], then
// ReLU = [0.5, 1] (ReLU before adding R would give [0.5, 3]).
func TestGemmFusedResidual(t *testing.T) {
	x := tensorOf([]int{1, 2}, 1, -1)
	w := tensorOf([]int{2, 2}, 1, 1, 2, 1)
	c := tensorOf([]int{2}, 1, -3)
	r := tensorOf([]int{1, 2}, -0.5, 3)
	a := ir.GemmAttrs()
	a.Fused = ir.Epilogue{Act: ir.ActRelu, Residual: true}
	expect(t, "gemm fused", evalOp(t, ir.OpGemm, a, x, w, c, r), []int{1, 2}, 1e-6, 0.5, 1)
}

// transposed returns the 2-D transpose of t.
func transposed(t *ir.Tensor) *ir.Tensor {
	r, c := t.Shape[0], t.Shape[1]
	out := ir.NewTensor(c, r)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out.Data[j*r+i] = t.Data[i*c+j]
		}
	}
	return out
}

// Random Gemms against materialised transposes and a plain product.
func TestGemmRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 20; trial++ {
		m, k, n := 1+r.IntN(6), 1+r.IntN(7), 1+r.IntN(5)
		a, b := random(r, m, k), random(r, k, n)
		c := random(r, n)
		at := ir.Attrs{Alpha: float32(r.Float64() * 2), Beta: float32(r.Float64()), TransA: r.IntN(2) == 0, TransB: r.IntN(2) == 0}
		xa, xb := a, b
		if at.TransA {
			xa = transposed(a)
		}
		if at.TransB {
			xb = transposed(b)
		}
		want := ir.NewTensor(m, n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					s += float64(a.Data[i*k+p]) * float64(b.Data[p*n+j])
				}
				want.Data[i*n+j] = float32(float64(at.Alpha)*s + float64(at.Beta)*float64(c.Data[j]))
			}
		}
		expectClose(t, "gemm random", evalOp(t, ir.OpGemm, at, xa, xb, c), want, 1e-6)
	}
}

func TestMatMulVectors(t *testing.T) {
	v := tensorOf([]int{3}, 1, 2, 3)
	u := tensorOf([]int{3}, 4, 5, 6)
	expect(t, "dot", evalOp(t, ir.OpMatMul, ir.Attrs{}, v, u), []int{}, 0, 32)
	m := tensorOf([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	expect(t, "vec·mat", evalOp(t, ir.OpMatMul, ir.Attrs{}, tensorOf([]int{2}, 1, 2), m), []int{3}, 0, 9, 12, 15)
	expect(t, "mat·vec", evalOp(t, ir.OpMatMul, ir.Attrs{}, m, v), []int{2}, 0, 14, 32)
}

// Batch broadcast: [2,1,2,3] × [3,3,2] → [2,3,2,2]; batch (i, j) multiplies
// A[i,0] by B[j].
func TestMatMulBatchBroadcast(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	a, b := random(r, 2, 1, 2, 3), random(r, 3, 3, 2)
	got := evalOp(t, ir.OpMatMul, ir.Attrs{}, a, b)
	want := ir.NewTensor(2, 3, 2, 2)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for row := 0; row < 2; row++ {
				for col := 0; col < 2; col++ {
					var s float64
					for p := 0; p < 3; p++ {
						s += float64(a.Data[i*6+row*3+p]) * float64(b.Data[j*6+p*2+col])
					}
					want.Data[((i*3+j)*2+row)*2+col] = float32(s)
				}
			}
		}
	}
	if !got.Shape.Equal(want.Shape) {
		t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
	}
	expectClose(t, "batched matmul", got, want, 1e-6)
}

// A scalar C broadcasts to every element; a batched matrix times a vector
// drops the vector's axis: [2,2,3]·[3] → [2,2].
func TestGemmScalarCAndBatchedMatVec(t *testing.T) {
	a := tensorOf([]int{1, 2}, 1, 2)
	b := tensorOf([]int{2, 2}, 1, 0, 0, 1)
	expect(t, "scalar C", evalOp(t, ir.OpGemm, ir.Attrs{Alpha: 1, Beta: 2}, a, b, tensorOf([]int{1}, 5)), []int{1, 2}, 0, 11, 12)
	m := seq(0, 1, 2, 2, 3)
	v := tensorOf([]int{3}, 1, 10, 100)
	expect(t, "batched mat·vec", evalOp(t, ir.OpMatMul, ir.Attrs{}, m, v), []int{2, 2}, 0, 210, 543, 876, 1209)
}
