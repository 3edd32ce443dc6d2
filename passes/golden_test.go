package passes

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenPlans pins the plan of a small inverted-residual network with
// an SE block and a classifier, at -O0 and -O2, as text: step kinds,
// algorithms, what was fused, shapes, arena offsets and in-place steps.
// Run with -update after an intended change and review the diff.
func TestGoldenPlans(t *testing.T) {
	b, x := newBuilder(1, 3, 16, 16)
	stem := b.add(ir.OpClip, ir.Relu6Attrs(), b.bn(b.conv(x, 8, 3, 2, 1, false), 1e-5))
	e := b.add(ir.OpClip, ir.Relu6Attrs(), b.bn(b.conv(stem, 24, 1, 1, 1, false), 1e-5))
	d := b.add(ir.OpHardSwish, ir.Attrs{}, b.bn(b.conv(e, 24, 3, 1, 24, false), 1e-5))
	s := b.add(ir.OpGlobalAveragePool, ir.Attrs{}, d)
	s = b.add(ir.OpRelu, ir.Attrs{}, b.conv(s, 8, 1, 1, 1, true))
	s = b.add(ir.OpHardSigmoid, ir.HardSigmoidAttrs(), b.conv(s, 24, 1, 1, 1, true))
	d = b.add(ir.OpMul, ir.Attrs{}, d, s)
	p := b.bn(b.conv(d, 8, 1, 1, 1, false), 1e-5)
	y := b.add(ir.OpAdd, ir.Attrs{}, p, stem)
	f := b.add(ir.OpFlatten, ir.Attrs{Axis: 1}, b.add(ir.OpGlobalAveragePool, ir.Attrs{}, y))
	g := b.finish(b.add(ir.OpGemm, ir.GemmAttrs(), f, b.rand(-1, 1, 10, 8), b.rand(-1, 1, 10)))
	set, _ := kernels.ForISA(kernels.Generic)
	for _, level := range []int{0, 2} {
		pl, _, err := Compile(g, Options{Level: level, Verify: true}, set)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		Summarize(&buf, pl)
		path := filepath.Join("testdata", map[int]string{0: "block_O0.plan.txt", 2: "block_O2.plan.txt"}[level])
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("-O%d plan differs from %s:\n%s", level, path, buf.String())
		}
	}
}
