package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mnc-go/mnc/internal/shareddata"

	"github.com/mnc-go/mnc/models"
)

// BenchmarkRead measures importing MobileNet V2 (14 MB, 152 nodes) from
// memory: protobuf decoding, folding, canonicalisation and verification.
func BenchmarkRead(b *testing.B) {
	path := filepath.Join(shareddata.Dir(), "mobilenet_v2.onnx")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("%s is absent: %v", path, err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(path, data, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite measures exporting MobileNet V2.
func BenchmarkWrite(b *testing.B) {
	g, err := models.Build("mobilenet_v2")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, g); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
