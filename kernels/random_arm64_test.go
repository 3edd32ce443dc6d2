//go:build arm64 && !purego

package kernels

import (
	"math/rand"
	"testing"
)

// TestNeonRandomShapes draws depthwise and GEMM shapes at random (kernels
// 1–6 wide, non-square kernels and strides, stride 3: shapes only the edge
// kernel handles; asymmetric padding; row and column sub-ranges) and checks each
// against the float64 references: a net for the row/column splitting
// logic beyond the hand-picked cases.
func TestNeonRandomShapes(t *testing.T) {
	s := neonSet(t)
	rng := rand.New(rand.NewSource(9))
	eps := neonTestEpilogues()
	n := 200
	if testing.Short() {
		n = 50
	}
	ran := 0
	for i := 0; i < n; i++ {
		m, nn, kk := 1+rng.Intn(40), 1+rng.Intn(40), rng.Intn(40)
		n0 := rng.Intn(nn/12+1) * 12
		if n0 >= nn {
			n0 = 0
		}
		n1 := n0 + 1 + rng.Intn(nn-n0)
		g := neonGemmCase{m: m, n: nn, k: kk, n0: n0, n1: n1, bias: rng.Intn(2) == 0, res: rng.Intn(2) == 0}
		runNeonGemm(t, s, g, eps[rng.Intn(len(eps))], nil, rng)

		k, st := 1+rng.Intn(6), 1+rng.Intn(3)
		if rng.Intn(2) == 0 {
			k = []int{3, 5}[rng.Intn(2)]
			st = 1 + rng.Intn(2)
		}
		d := neonDWCase{h: 1 + rng.Intn(9), w: 1 + rng.Intn(23), c: 1 + rng.Intn(13), k: k, s: st,
			padTL: rng.Intn(k), padBR: rng.Intn(k)}
		if rng.Intn(4) == 0 {
			d.kw, d.sw = 1+rng.Intn(5), 1+rng.Intn(3)
		}
		p := d.params(Epilogue{})
		if p.OH < 1 || p.OW < 1 {
			continue
		}
		oy0 := rng.Intn(p.OH)
		oy1 := oy0 + 1 + rng.Intn(p.OH-oy0)
		runNeonDW(t, s, d, eps[rng.Intn(len(eps))], nil, rng.Intn(2) == 0, oy0, oy1, rng)
		ran++
	}
	if ran < n/2 {
		t.Fatalf("only %d of %d random depthwise shapes were valid", ran, n)
	}
	t.Logf("%d depthwise shapes, %d GEMM shapes", ran, n)
}
