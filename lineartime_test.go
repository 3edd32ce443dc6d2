package mnc_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/dyn"
	"github.com/mnc-go/mnc/frontend/onnx"
	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/models"
	"google.golang.org/protobuf/proto"
)

// cpuTime is the process's user+system CPU time: on a shared machine it
// moves far less with the load than the wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// chainModel is an ONNX graph of n elementwise nodes in a chain (Relu and
// Sigmoid alternating), written in reverse topological order when rev.
func chainModel(t testing.TB, n int, rev bool) []byte {
	dims := []*pb.TensorShapeProto_Dimension{
		{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: 1}},
		{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: 8}},
	}
	vi := func(name string) *pb.ValueInfoProto {
		return &pb.ValueInfoProto{Name: proto.String(name), Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
			TensorType: &pb.TypeProto_Tensor{ElemType: proto.Int32(1), Shape: &pb.TensorShapeProto{Dim: dims}}}}}
	}
	g := &pb.GraphProto{Name: proto.String("chain"), Input: []*pb.ValueInfoProto{vi("x0")}, Output: []*pb.ValueInfoProto{vi(fmt.Sprintf("x%d", n))}}
	for i := 0; i < n; i++ {
		op := "Relu"
		if i%2 == 1 {
			op = "Sigmoid"
		}
		g.Node = append(g.Node, &pb.NodeProto{OpType: proto.String(op), Input: []string{fmt.Sprintf("x%d", i)}, Output: []string{fmt.Sprintf("x%d", i+1)}})
	}
	if rev {
		for i, j := 0, len(g.Node)-1; i < j; i, j = i+1, j-1 {
			g.Node[i], g.Node[j] = g.Node[j], g.Node[i]
		}
	}
	data, err := proto.Marshal(&pb.ModelProto{IrVersion: proto.Int64(8), Graph: g,
		OpsetImport: []*pb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// compileCost imports and compiles (with Verify) the model and returns the
// CPU time and the wall time it took.
func compileCost(t *testing.T, load func() error) (cpu, wall time.Duration) {
	t.Helper()
	c0, w0 := cpuTime(), time.Now()
	if err := load(); err != nil {
		t.Fatal(err)
	}
	return cpuTime() - c0, time.Since(w0)
}

// TestCompileTimeIsLinear: importing and compiling a chain of nodes (in
// file order and reversed) and a description file of conv rows (fold-bn,
// fuse-activation) scale linearly. The machine running tests is shared, so
// the test compares CPU times of a graph and one ten times larger in the
// same run: linear work gives a ratio near 10 (measured 12-31: hash maps
// that outgrow the caches and the garbage collector cost more per node on
// big graphs, more so on a loaded machine), quadratic work 100; it fails
// above 45. The large graph's wall time is logged. -short uses 20k
// nodes instead of 100k.
func TestCompileTimeIsLinear(t *testing.T) {
	big := 100_000
	if testing.Short() {
		big = 20_000
	}
	onnxCase := func(n int, rev bool) func() error {
		data := chainModel(t, n, rev)
		path := filepath.Join(t.TempDir(), "chain.onnx")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return func() error {
			// The mnc command first looks for an interpreted tail
			// (dyn.Load: Split sorts the nodes), then imports.
			if _, err := dyn.Load(path); err != nil {
				return err
			}
			g, err := onnx.Read("chain.onnx", data, "")
			if err != nil {
				return err
			}
			_, _, err = mnc.Compile(g, mnc.Options{Level: 2, Verify: true})
			return err
		}
	}
	descCase := func(rows int, _ bool) func() error {
		var b strings.Builder
		b.WriteString("model rows\ninput 3x4x4\n")
		for i := 0; i < rows; i++ {
			b.WriteString("conv k=1 out=4\n")
		}
		b.WriteString("pool\nfc out=10\n")
		text := b.String()
		return func() error {
			g, err := models.LoadDesc("rows.mnc", strings.NewReader(text), models.BuildOptions{NoWeights: true})
			if err != nil {
				return err
			}
			_, _, err = mnc.Compile(g, mnc.Options{Level: 2, Verify: true})
			return err
		}
	}
	for _, c := range []struct {
		name string
		n    int
		rev  bool
		mk   func(int, bool) func() error
	}{
		{"onnx chain in order", big, false, onnxCase},
		{"onnx chain reversed", big, true, onnxCase},
		{"description rows", max(big/10, 5000), false, descCase}, // a row is 3 nodes (conv, bn, relu6)
	} {
		small, large := c.mk(c.n/10, c.rev), c.mk(c.n, c.rev)
		best := time.Duration(1 << 62)
		for i := 0; i < 3; i++ {
			cpu, _ := compileCost(t, small)
			best = min(best, cpu)
		}
		cpu, wall := compileCost(t, large)
		ratio := float64(cpu) / float64(max(best, time.Millisecond))
		t.Logf("%s: %d: %v CPU (%v wall); %d: %v CPU; ratio %.1f", c.name, c.n, cpu, wall, c.n/10, best, ratio)
		if ratio > 45 {
			t.Errorf("%s: 10× the nodes took %.1f× the CPU time (%v vs %v): compilation is not linear", c.name, ratio, cpu, best)
		}
	}
}
