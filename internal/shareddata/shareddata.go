// Package shareddata gives tests the project's shared whole-model data:
// ../shared/models beside the repository (ONNX files made by an independent
// tool, their inputs and ONNX Runtime's and numpy's outputs). Tests skip with
// a clear message when it is absent, so `go test ./...` passes on a fresh
// clone without it.
package shareddata

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"testing"
)

// Models are the shared networks, by file stem.
var Models = []string{"mobilenet_v1", "mobilenet_v2", "mobilenet_v2_dynbatch", "mobilenet_v3_large", "mobilenet_v3_small"}

// Dir is ../shared/models relative to the repository root (found from this
// file's location, so it does not depend on the test's package depth).
func Dir() string {
	_, file, _, _ := goruntime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	return filepath.Join(root, "..", "shared", "models")
}

// Path returns the path of a shared file, skipping the test when it is absent.
func Path(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(Dir(), name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is absent (../shared/models is not beside the repository): %v", name, err)
	}
	return p
}

// ReadFloats reads a shared raw little-endian float32 file, skipping the
// test when it is absent.
func ReadFloats(t testing.TB, name string) []float32 {
	t.Helper()
	return ReadRawFile(t, Path(t, name))
}

// ReadRawFile reads raw little-endian float32s from any path (mnc's -input
// and -output format), failing the test on error.
func ReadRawFile(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%4 != 0 {
		t.Fatalf("%s: %d bytes is not a whole number of float32s", path, len(b))
	}
	f := make([]float32, len(b)/4)
	for k := range f {
		f[k] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*k:]))
	}
	return f
}
