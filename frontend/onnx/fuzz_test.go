package onnx

import (
	"strings"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/internal/fuzzcap"
	"google.golang.org/protobuf/proto"
)

// FuzzRead feeds arbitrary bytes to the importer: it must return an error
// or a graph that verifies, and never reach its panic guard. The seeds are
// small valid models and truncations of them. Run it locally, e.g.
//
//	go test -run=NONE -fuzz=FuzzRead -fuzztime=30s ./frontend/onnx/
func FuzzRead(f *testing.F) {
	seeds := [][]byte{smallModelBytes(f), opsetModelBytes(f), mustMarshal(f, nhwcModel())}
	for _, p := range activationPatterns {
		seeds = append(seeds, mustMarshal(f, activationModel(p)))
	}
	for _, s := range append([][]byte{}, seeds...) {
		for _, n := range []int{1, len(s) / 3, len(s) / 2, len(s) - 1} {
			seeds = append(seeds, s[:n])
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzcap.Run(t, func() {
			g, err := Read("fuzz.onnx", data, "")
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatal(err)
				}
				return
			}
			if err := g.Verify(); err != nil {
				t.Fatalf("imported graph does not verify: %v", err)
			}
		})
	})
}

func smallModelBytes(f *testing.F) []byte {
	b, err := protoMarshal(smallModel().proto())
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// opsetModelBytes covers shape arithmetic, Squeeze and Softmax at opset 11.
func opsetModelBytes(f *testing.F) []byte {
	b := newModel(11).input("x", -1, 4, 1, 1).output("y").ints("minus1", -1).
		node("Shape", []string{"x"}, "s").
		node("Gather", []string{"s", "minus1"}, "last").
		node("Squeeze", []string{"x"}, "sq", attrInts("axes", []int{2, 3})).
		node("Softmax", []string{"sq"}, "y")
	data, err := protoMarshal(b.proto())
	if err != nil {
		f.Fatal(err)
	}
	return data
}

func mustMarshal(f *testing.F, b *modelBuilder) []byte {
	data, err := protoMarshal(b.proto())
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// FuzzMutate corrupts one number of a valid model (an attribute value or
// list entry, a tensor dimension, an input dimension or the opset) to
// explore semantic errors that random bytes rarely reach: the importer
// must return an error or a verified graph. Run locally like FuzzRead.
func FuzzMutate(f *testing.F) {
	f.Add(uint8(0), uint16(0), int64(-1))
	f.Add(uint8(1), uint16(3), int64(1<<40))
	f.Add(uint8(2), uint16(7), int64(0))
	f.Add(uint8(3), uint16(1), int64(3))
	f.Fuzz(func(t *testing.T, model uint8, where uint16, v int64) {
		fuzzcap.Run(t, func() {
			bs := []*modelBuilder{smallModel(), nhwcModel(), activationModel(activationPatterns[1])}
			m := bs[int(model)%len(bs)].proto()
			var slots []*int64
			for _, n := range m.Graph.Node {
				for _, a := range n.Attribute {
					if a.I != nil {
						slots = append(slots, a.I)
					}
					for k := range a.Ints {
						slots = append(slots, &a.Ints[k])
					}
				}
			}
			for _, in := range m.Graph.Initializer {
				for k := range in.Dims {
					slots = append(slots, &in.Dims[k])
				}
				for k := range in.Int64Data {
					slots = append(slots, &in.Int64Data[k])
				}
			}
			for _, in := range m.Graph.Input {
				for _, d := range in.GetType().GetTensorType().GetShape().GetDim() {
					if dv, ok := d.Value.(*pb.TensorShapeProto_Dimension_DimValue); ok {
						slots = append(slots, &dv.DimValue)
					}
				}
			}
			slots = append(slots, m.OpsetImport[0].Version)
			*slots[int(where)%len(slots)] = v
			data, err := proto.Marshal(m)
			if err != nil {
				t.Skip()
			}
			g, err := Read("mutant.onnx", data, "")
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatal(err)
				}
				return
			}
			if err := g.Verify(); err != nil {
				t.Fatalf("imported graph does not verify: %v", err)
			}
		})
	})
}
