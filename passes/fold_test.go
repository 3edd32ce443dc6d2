package passes

import (
	"testing"

	"github.com/mnc-go/mnc/ir"
)

func TestFoldBN(t *testing.T) {
	for _, bias := range []bool{false, true} {
		for _, eps := range []float32{1e-5, 1e-3, 0.5} {
			b, x := newBuilder(1, 3, 6, 6)
			y := b.bn(b.conv(x, 5, 3, 2, 1, bias), eps)
			d := b.bn(b.conv(y, 5, 3, 1, 5, bias), eps) // depthwise
			g := b.finish(d)
			st := runPasses(t, g, "fold-bn")
			if n := countOps(st.G, ir.OpBatchNorm); n != 0 {
				t.Errorf("bias=%v eps=%g: %d BatchNorms left", bias, eps, n)
			}
			sameFunction(t, g, st.G)
		}
	}
}

func TestFoldBNIntoGemm(t *testing.T) {
	for _, transB := range []bool{false, true} {
		b, x := newBuilder(2, 6)
		a := ir.GemmAttrs()
		a.TransB, a.Alpha, a.Beta = transB, 0.7, 1.3
		w := b.rand(-1, 1, 6, 4)
		if transB {
			w = b.rand(-1, 1, 4, 6)
		}
		y := b.add(ir.OpGemm, a, x, w, b.rand(-1, 1, 4))
		g := b.finish(b.bn(y, 1e-3))
		st := runPasses(t, g, "fold-bn")
		if countOps(st.G, ir.OpBatchNorm) != 0 {
			t.Errorf("transB=%v: BatchNorm after Gemm was not folded", transB)
		}
		sameFunction(t, g, st.G)
	}
}

// TestFoldBNRefusals: BN stays where folding would change other readers or
// the meaning of an existing epilogue.
func TestFoldBNRefusals(t *testing.T) {
	cases := map[string]func() *ir.Graph{
		"conv output read twice": func() *ir.Graph {
			b, x := newBuilder(1, 3, 5, 5)
			c := b.conv(x, 3, 3, 1, 1, true)
			return b.finish(b.add(ir.OpAdd, ir.Attrs{}, b.bn(c, 1e-5), c))
		},
		"conv output is a graph output": func() *ir.Graph {
			b, x := newBuilder(1, 3, 5, 5)
			c := b.conv(x, 3, 3, 1, 1, true)
			return b.finish(b.bn(c, 1e-5), c)
		},
		"conv already has an activation": func() *ir.Graph {
			b, x := newBuilder(1, 3, 5, 5)
			c := b.conv(x, 3, 3, 1, 1, true)
			c.Producer.Attrs.Fused = ir.Epilogue{Act: ir.ActRelu}
			return b.finish(b.bn(c, 1e-5))
		},
		"BN after an activation": func() *ir.Graph {
			b, x := newBuilder(1, 3, 5, 5)
			return b.finish(b.bn(b.add(ir.OpRelu, ir.Attrs{}, b.conv(x, 3, 3, 1, 1, true)), 1e-5))
		},
	}
	for name, build := range cases {
		g := build()
		st := runPasses(t, g, "fold-bn")
		if countOps(st.G, ir.OpBatchNorm) != 1 {
			t.Errorf("%s: BatchNorm was folded", name)
		}
		sameFunction(t, g, st.G)
	}
}

func TestCanonicalizeAndFoldConstants(t *testing.T) {
	b, x := newBuilder(1, 4, 3, 3)
	y := b.add(ir.OpIdentity, ir.Attrs{}, x)
	y = b.add(ir.OpDropout, ir.Attrs{}, b.conv(y, 4, 1, 1, 1, true))
	y = b.add(ir.OpReshape, ir.Attrs{Shape: []int{1, 4, 3, 3}}, y)
	y = b.add(ir.OpTranspose, ir.Attrs{Perm: []int{0, 2, 3, 1}}, y)
	y = b.add(ir.OpTranspose, ir.Attrs{Perm: []int{0, 3, 1, 2}}, y)
	// A constant subgraph: (k1 + k2) · 2 broadcast over channels.
	k := b.add(ir.OpAdd, ir.Attrs{}, b.rand(0, 1, 1, 4, 1, 1), b.rand(0, 1, 1, 4, 1, 1))
	k = b.add(ir.OpMul, ir.Attrs{}, k, b.rand(2, 2, 1))
	g := b.finish(b.add(ir.OpMul, ir.Attrs{}, y, k))
	st := runPasses(t, g, "canonicalize", "sink-transposes", "merge-reshapes", "fold-constants")
	if len(st.G.Nodes) != 2 {
		t.Errorf("want conv and mul left, got:\n%s", st.G)
	}
	sameFunction(t, g, st.G)
}
