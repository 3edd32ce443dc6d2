package onnx

import (
	"strings"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the importer: it must return an error
// or a graph that verifies, and never reach its panic guard. The seeds are
// small valid models and truncations of them. Run it locally, e.g.
//
//	go test -run=NONE -fuzz=FuzzRead -fuzztime=30s ./frontend/onnx/
func FuzzRead(f *testing.F) {
	seeds := [][]byte{smallModelBytes(f), opsetModelBytes(f)}
	for _, s := range append([][]byte{}, seeds...) {
		for _, n := range []int{1, len(s) / 3, len(s) / 2, len(s) - 1} {
			seeds = append(seeds, s[:n])
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
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
