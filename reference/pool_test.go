package reference

import (
	"testing"

	"github.com/mnc-go/mnc/ir"
)

func poolAttrs(k, s, pad int, ceil bool) ir.Attrs {
	return ir.Attrs{Kernel: [2]int{k, k}, Strides: [2]int{s, s}, Pads: [4]int{pad, pad, pad, pad}, CeilMode: ceil}
}

// 3×3 stride 2 on a 4×4 input X[r][c] = 4r+c: floor mode gives one window,
// ceil mode two per axis, the second clipped to rows/columns 2..3.
func TestMaxPoolCeilMode(t *testing.T) {
	x := seq(0, 1, 1, 1, 4, 4)
	expect(t, "floor", evalOp(t, ir.OpMaxPool, poolAttrs(3, 2, 0, false), x), []int{1, 1, 1, 1}, 0, 10)
	expect(t, "ceil", evalOp(t, ir.OpMaxPool, poolAttrs(3, 2, 0, true), x), []int{1, 1, 2, 2}, 0, 10, 11, 14, 15)
}

// Padding never wins: on an all-negative input the padded border must not
// produce 0.
func TestMaxPoolPadsNeverWin(t *testing.T) {
	x := seq(-16, 1, 1, 1, 4, 4) // -16 … -1
	got := evalOp(t, ir.OpMaxPool, poolAttrs(3, 2, 1, false), x)
	// windows start at rows/cols -1 and 1: maxima X[1][1], X[1][3], X[3][1], X[3][3].
	expect(t, "padded max", got, []int{1, 1, 2, 2}, 0, -16+5, -16+7, -16+13, -16+15)
}

// Dilation 2 picks rows/columns {i, i+2}: with k=2, stride 1 on 4×4 the
// windows' maxima are X[2][2], X[2][3], X[3][2], X[3][3] (dilation 1 would
// give X[1][1] = 5 first).
func TestMaxPoolDilation(t *testing.T) {
	x := seq(0, 1, 1, 1, 4, 4)
	a := poolAttrs(2, 1, 0, false)
	a.Dilations = [2]int{2, 2}
	expect(t, "dilated", evalOp(t, ir.OpMaxPool, a, x), []int{1, 1, 2, 2}, 0, 10, 11, 14, 15)
}

func TestMaxPoolNaN(t *testing.T) {
	x := seq(0, 1, 1, 1, 2, 2)
	x.Data[3] = nan32
	expect(t, "NaN", evalOp(t, ir.OpMaxPool, poolAttrs(2, 1, 0, false), x), []int{1, 1, 1, 1}, 0, nan32)
	x.Data[0], x.Data[3] = nan32, 3 // NaN first in the window, too
	expect(t, "NaN first", evalOp(t, ir.OpMaxPool, poolAttrs(2, 1, 0, false), x), []int{1, 1, 1, 1}, 0, nan32)
}

// Ceil-mode average: windows of 3×3, 3×2, 2×3, 2×2 over X[r][c] = 4r+c,
// whose means are 4·mean(r)+mean(c).
func TestAveragePoolCeilMode(t *testing.T) {
	x := seq(0, 1, 1, 1, 4, 4)
	got := evalOp(t, ir.OpAveragePool, poolAttrs(3, 2, 0, true), x)
	expect(t, "avg ceil", got, []int{1, 1, 2, 2}, 1e-6, 4*1+1, 4*1+2.5, 4*2.5+1, 4*2.5+2.5)
}

// Pads 1, k 3, stride 2, ceil on 4×4: windows start at -1, 1, 3. The last
// one's taps are 3, 4, 5: tap 4 is padding, tap 5 lies past the end padding
// (ceil mode's overhang) and counts for neither divisor.
func TestAveragePoolCountIncludePad(t *testing.T) {
	x := seq(0, 1, 1, 1, 4, 4)
	a := poolAttrs(3, 2, 1, true)
	exclude := evalOp(t, ir.OpAveragePool, a, x)
	a.CountIncludePad = true
	include := evalOp(t, ir.OpAveragePool, a, x)
	if !exclude.Shape.Equal(ir.Shape{1, 1, 3, 3}) || !include.Shape.Equal(ir.Shape{1, 1, 3, 3}) {
		t.Fatalf("shapes %v %v, want [1 1 3 3]", exclude.Shape, include.Shape)
	}
	// (0,0): taps rows/cols {0,1} real: 0+1+4+5 = 10 over 4 real or 9 padded.
	// (2,2): only X[3][3] = 15 real; padded window rows/cols {3,4}: 4 taps.
	// (0,2): rows {0,1}, column 3: X[0][3]+X[1][3] = 3+7; padded 3 rows × 2 cols.
	cases := []struct {
		i             int
		excl, include float32
	}{
		{0, 10.0 / 4, 10.0 / 9},
		{8, 15, 15.0 / 4},
		{2, 10.0 / 2, 10.0 / 6},
	}
	for _, c := range cases {
		if d := exclude.Data[c.i] - c.excl; d > 1e-6 || d < -1e-6 {
			t.Errorf("exclude pad [%d] = %g, want %g", c.i, exclude.Data[c.i], c.excl)
		}
		if d := include.Data[c.i] - c.include; d > 1e-6 || d < -1e-6 {
			t.Errorf("include pad [%d] = %g, want %g", c.i, include.Data[c.i], c.include)
		}
	}
}

// Asymmetric pads: top 1, left 0, bottom 0, right 1; 2×2 windows stride 2
// on a 3×3 input 0..8.
func TestAveragePoolAsymmetricPads(t *testing.T) {
	x := seq(0, 1, 1, 1, 3, 3)
	a := ir.Attrs{Kernel: [2]int{2, 2}, Strides: [2]int{2, 2}, Pads: [4]int{1, 0, 0, 1}}
	got := evalOp(t, ir.OpAveragePool, a, x)
	// rows {-1,0} and {1,2}; cols {0,1} and {2,3}.
	expect(t, "asym", got, []int{1, 1, 2, 2}, 1e-6, (0+1)/2.0, 2, (3+4+6+7)/4.0, (5+8)/2.0)
	a.CountIncludePad = true
	got = evalOp(t, ir.OpAveragePool, a, x)
	expect(t, "asym include", got, []int{1, 1, 2, 2}, 1e-6, (0+1)/4.0, 2/4.0, (3+4+6+7)/4.0, (5+8)/4.0)
}

func TestGlobalAveragePool(t *testing.T) {
	x := tensorOf([]int{1, 2, 2, 2}, 1, 2, 3, 4, -1, -1, 5, 1)
	expect(t, "gap", evalOp(t, ir.OpGlobalAveragePool, ir.Attrs{}, x), []int{1, 2, 1, 1}, 1e-7, 2.5, 1)
}
