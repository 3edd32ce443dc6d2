package mnc_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// macs counts the multiply-adds of a graph's Conv and Gemm nodes (BN folded
// or not, activations, pools and adds are not counted).
func macs(g *ir.Graph) int64 {
	var n int64
	for _, nd := range g.Nodes {
		switch nd.Op {
		case ir.OpConv:
			w := nd.Input(1).Shape
			n += int64(nd.Output().Shape.Size()) * int64(w[1]*w[2]*w[3])
		case ir.OpGemm:
			k := nd.Input(0).Shape[1]
			if nd.Attrs.TransA {
				k = nd.Input(0).Shape[0]
			}
			n += int64(nd.Output().Shape.Size()) * int64(k)
		}
	}
	return n
}

// BenchmarkModel times Run of each model at 224² compiled once, unfused
// (-O0) and fused (-O2), with the best ISA (or MNC_ISA) and NumCPU threads
// (or MNC_THREADS). It reports ms/op and GFLOP/s (2·MACs per run).
func BenchmarkModel(b *testing.B) {
	isa, err := runtime.SelectISA("")
	if err != nil {
		b.Fatal(err)
	}
	set, err := kernels.ForISA(isa)
	if err != nil {
		b.Fatal(err)
	}
	threads, _ := strconv.Atoi(os.Getenv("MNC_THREADS"))
	for _, m := range []struct{ short, spec string }{
		{"v1", "mobilenet_v1"}, {"v2", "mobilenet_v2"}, {"v3l", "mobilenet_v3_large"}, {"v3s", "mobilenet_v3_small"},
	} {
		g, err := models.Build(m.spec)
		if err != nil {
			b.Fatal(err)
		}
		flops := 2 * float64(macs(g))
		for _, level := range []int{0, 2} {
			b.Run(m.short+"/O"+strconv.Itoa(level), func(b *testing.B) {
				p, _, err := passes.Compile(g, passes.Options{Level: level}, set)
				if err != nil {
					b.Fatal(err)
				}
				e, err := runtime.New(p, runtime.Options{Threads: threads})
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
				out := e.NewOutputs()
				if err := e.Run(in, out); err != nil { // warm-up
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := e.Run(in, out); err != nil {
						b.Fatal(err)
					}
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(sec*1e3, "ms/op")
				b.ReportMetric(flops/sec/1e9, "GFLOP/s")
			})
		}
	}
}
