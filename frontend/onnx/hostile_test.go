package onnx

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/limits"
	"google.golang.org/protobuf/proto"
)

// bounded runs f and fails when it took more than 2 s of CPU... of wall
// time (generously 10 s: the test machine is shared) or allocated more than
// 500 MB: the bounds issue 11 sets for hostile input.
func bounded(t *testing.T, f func()) {
	t.Helper()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	f()
	d := time.Since(t0)
	runtime.ReadMemStats(&m1)
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 500<<20 {
		t.Errorf("allocated %d MB, want < 500 MB", alloc>>20)
	}
	if d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// wantImportError imports data (external data from dir) and wants an
// error containing each of want, within the bounds.
func wantImportError(t *testing.T, data []byte, dir string, want ...string) {
	t.Helper()
	bounded(t, func() {
		_, err := Read("h.onnx", data, dir)
		if err == nil {
			t.Fatalf("imported; want an error with %q", want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "internal error") {
			t.Errorf("want a one-line error, not a recovered panic: %q", err)
		}
	})
}

func scalarTensor(name string, v float32) *pb.TensorProto {
	return floatTensor(name, nil, []float32{v})
}

func int64Scalar(name string, v int64) *pb.TensorProto {
	return &pb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(pb.TensorProto_INT64)), Int64Data: []int64{v}}
}

// TestHostileFolding: the rows of issue 11 about constants folded at import.
func TestHostileFolding(t *testing.T) {
	big := func(shape int) []byte {
		m := newModel(17).input("x", 1, 4).ints("shape", shape)
		m.node("ConstantOfShape", []string{"shape"}, "c").node("Add", []string{"x", "x"}, "y").output("y", "c")
		return m.bytes(t)
	}
	t.Run("ConstantOfShape 2^28", func(t *testing.T) {
		wantImportError(t, big(1<<28), "", "ConstantOfShape", "folding it at import", "1.00 GiB")
	})
	t.Run("ConstantOfShape 2^30", func(t *testing.T) { wantImportError(t, big(1<<30), "", "ConstantOfShape", "folding it at import") })
	rangeModel := func(s, l, d *pb.TensorProto) []byte {
		m := newModel(17).input("x", 1, 4)
		m.g.Initializer = append(m.g.Initializer, s, l, d)
		m.node("Range", []string{s.GetName(), l.GetName(), d.GetName()}, "r").node("Relu", []string{"x"}, "y").output("y", "r")
		return m.bytes(t)
	}
	for _, c := range []struct {
		name    string
		s, l, d *pb.TensorProto
		want    string
	}{
		{"float limit +Inf", scalarTensor("s", 0), scalarTensor("l", float32(math.Inf(1))), scalarTensor("d", 1), "must be finite"},
		{"float limit NaN", scalarTensor("s", 0), scalarTensor("l", float32(math.NaN())), scalarTensor("d", 1), "must be finite"},
		{"float 2^30 elements", scalarTensor("s", 0), scalarTensor("l", 1<<30), scalarTensor("d", 1), "folding it at import"},
		{"int64 MaxInt64 to MinInt64 by -1", int64Scalar("s", math.MaxInt64), int64Scalar("l", math.MinInt64), int64Scalar("d", -1), "elements"},
		{"int64 2^40 elements", int64Scalar("s", 0), int64Scalar("l", 1<<40), int64Scalar("d", 1), "elements"},
	} {
		t.Run("Range "+c.name, func(t *testing.T) { wantImportError(t, rangeModel(c.s, c.l, c.d), "", `"r_node" (Range)`, c.want) })
	}
	// Integer arithmetic: a NaN cast to int64 and an overflowing multiply
	// name their node.
	m := newModel(17).input("x", 1, 4)
	m.g.Initializer = append(m.g.Initializer, scalarTensor("nan", float32(math.NaN())))
	m.node("Cast", []string{"nan"}, "i", attrInt("to", int(pb.TensorProto_INT64))).node("Relu", []string{"x"}, "y").output("y", "i")
	t.Run("Cast NaN to int", func(t *testing.T) { wantImportError(t, m.bytes(t), "", `"i_node" (Cast)`, "NaN") })
	m = newModel(17).input("x", 1, 4)
	m.g.Initializer = append(m.g.Initializer, int64Scalar("a", 1<<62), int64Scalar("b", 4))
	m.node("Mul", []string{"a", "b"}, "p").node("Relu", []string{"x"}, "y").output("y", "p")
	t.Run("int64 overflow", func(t *testing.T) { wantImportError(t, m.bytes(t), "", `"p_node" (Mul)`, "overflow") })
	// A small budget lowers the folding limit with it.
	t.Run("budget", func(t *testing.T) {
		limits.SetMaxMemory(16 << 20)
		defer limits.SetMaxMemory(0)
		wantImportError(t, big(1<<20), "", "folding it at import", "1.0 MiB allowed")
	})
}

// TestDuplicateGraphInput: an input declared twice (with different
// shapes) is refused.
func TestDuplicateGraphInput(t *testing.T) {
	m := newModel(17).input("x", 1, 4).input("x", 1, 8)
	m.node("Relu", []string{"x"}, "y").output("y")
	wantImportError(t, m.bytes(t), "", `graph input "x" is declared twice`)
}

// externalModel is a model whose weight w [1,4] float lives in external
// data with the given keys.
func externalModel(t *testing.T, kv map[string]string) []byte {
	w := &pb.TensorProto{Name: proto.String("w"), Dims: []int64{1, 4}, DataType: proto.Int32(int32(pb.TensorProto_FLOAT)),
		DataLocation: pb.TensorProto_EXTERNAL.Enum()}
	for _, k := range []string{"location", "offset", "length"} {
		if v, ok := kv[k]; ok {
			w.ExternalData = append(w.ExternalData, &pb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(v)})
		}
	}
	m := newModel(17).input("x", 1, 4)
	m.g.Initializer = append(m.g.Initializer, w)
	m.node("Add", []string{"x", "w"}, "y").output("y")
	return m.bytes(t)
}

// TestHostileExternalData: the rows of issue 11 about external data.
func TestHostileExternalData(t *testing.T) {
	dir := t.TempDir()
	modelDir := filepath.Join(dir, "model")
	if err := os.Mkdir(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A 3 GiB sparse file: no disk, but a size that must not be read.
	huge := filepath.Join(modelDir, "huge.bin")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3 << 30); err != nil {
		t.Skipf("cannot make a sparse 3 GiB file: %v", err)
	}
	f.Close()
	good := filepath.Join(modelDir, "w.bin")
	os.WriteFile(good, make([]byte, 16), 0o644)
	outside := filepath.Join(dir, "secret.bin")
	os.WriteFile(outside, make([]byte, 16), 0o644)
	if err := os.Symlink(outside, filepath.Join(modelDir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("w.bin", filepath.Join(modelDir, "inside.bin")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(modelDir, "fifo.bin"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(modelDir, "sub"), 0o755)

	t.Run("length past what the shape needs", func(t *testing.T) {
		wantImportError(t, externalModel(t, map[string]string{"location": "huge.bin", "length": "3000000000"}), modelDir, "length 3000000000", "need 16 bytes")
	})
	t.Run("symlink to a file outside", func(t *testing.T) {
		wantImportError(t, externalModel(t, map[string]string{"location": "link.bin"}), modelDir, "outside the model's directory")
	})
	t.Run("FIFO", func(t *testing.T) {
		wantImportError(t, externalModel(t, map[string]string{"location": "fifo.bin"}), modelDir, "named pipe (FIFO), not a regular file")
	})
	t.Run("directory", func(t *testing.T) {
		wantImportError(t, externalModel(t, map[string]string{"location": "sub"}), modelDir, "a directory, not a regular file")
	})
	t.Run("/dev/zero through ..", func(t *testing.T) {
		wantImportError(t, externalModel(t, map[string]string{"location": "../../../../../../../../dev/zero"}), modelDir, "must be relative")
	})
	// The right answers: the 16 bytes the shape needs and no more, from the
	// start of the 3 GiB file when length is absent or negative (ONNX: "to
	// the end"; mnc reads what the tensor holds), at its end with an
	// offset, directly or through a link that stays inside the folder.
	for _, kv := range []map[string]string{
		{"location": "huge.bin"},
		{"location": "huge.bin", "length": "-1"},
		{"location": "w.bin"},
		{"location": "inside.bin", "length": "16"},
		{"location": "huge.bin", "offset": "3221225456"},
	} {
		bounded(t, func() {
			if _, err := Read("h.onnx", externalModel(t, kv), modelDir); err != nil {
				t.Errorf("%v: %v", kv, err)
			}
		})
	}
}

// TestHostileExternalDataRepeated: initializers that all name the same
// external data are checked against the budget together: 40 tensors of
// the same 8 MiB made 320 MiB from a file of 8 MiB and a model of 3 KB.
func TestHostileExternalDataRepeated(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), make([]byte, 8<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	m := newModel(17).input("x", 1, 2<<20)
	prev := "x"
	for i := 0; i < 40; i++ {
		name := "w" + strconv.Itoa(i)
		m.g.Initializer = append(m.g.Initializer, &pb.TensorProto{Name: proto.String(name), Dims: []int64{1, 2 << 20},
			DataType: proto.Int32(int32(pb.TensorProto_FLOAT)), DataLocation: pb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*pb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w.bin")}}})
		m.node("Add", []string{prev, name}, "a"+strconv.Itoa(i))
		prev = "a" + strconv.Itoa(i)
	}
	m.output(prev)
	limits.SetMaxMemory(64 << 20)
	defer limits.SetMaxMemory(0)
	wantImportError(t, m.bytes(t), dir, `the initializers up to "w8" needs 72.0 MiB, more than the memory budget of 64.0 MiB`)
}

// TestHostileGraphSize: a graph of more than MaxNodes nodes, or whose
// entries would take more than the memory budget to import, is refused
// from the serialized bytes, before they are decoded. A 25 MB file of 10^6
// Relu nodes took 12 s of CPU and peaked at 2.4 GB (Go's fatal
// out-of-memory error under ulimit -v 3000000), and 2-byte empty nodes
// decode to about a hundred bytes each.
func TestHostileGraphSize(t *testing.T) {
	chain := func(n int) []byte {
		m := newModel(17).input("x", 1, 3, 8, 8).output("y")
		prev := "x"
		for i := 0; i < n; i++ {
			out := "r" + strconv.Itoa(i)
			if i == n-1 {
				out = "y"
			}
			m.g.Node = append(m.g.Node, &pb.NodeProto{OpType: proto.String("Relu"), Input: []string{prev}, Output: []string{out}})
			prev = out
		}
		b, err := proto.Marshal(m.proto())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	wantImportError(t, chain(MaxNodes+1), "", "h.onnx: the graph has 262145 nodes, more than the 262144 mnc imports")
	limits.SetMaxMemory(64 << 20)
	defer limits.SetMaxMemory(0)
	wantImportError(t, chain(40000), "", "h.onnx: importing its 40002 graph nodes and values needs 78.1 MiB, more than the memory budget of 64.0 MiB")
	// Empty nodes: two bytes each on the wire.
	m := newModel(17).input("x", 1).output("x").proto()
	for i := 0; i < 40000; i++ {
		m.Graph.Node = append(m.Graph.Node, &pb.NodeProto{})
	}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	wantImportError(t, b, "", "importing its 40002 graph nodes and values needs 78.1 MiB")
}
