package plan

import (
	"bytes"
	goruntime "runtime"
	"strings"
	"testing"
	"unsafe"
)

// bigPlan is samplePlan with blobs of awkward lengths, so alignment padding
// differs between them.
func bigPlan() *Plan {
	p := samplePlan()
	p.Blobs = append(p.Blobs, []float32{1}, make([]float32, 1000), []float32{7, 8, 9})
	p.Blobs[3][2] = -3
	return p
}

func TestBlobsAligned(t *testing.T) {
	p := bigPlan()
	data := encode(t, p)
	// Every blob starts at a file offset that is a multiple of 64.
	q, err := DecodeBytes(alignedCopy(data))
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range q.Blobs {
		if len(b) != len(p.Blobs[i]) {
			t.Fatalf("blob %d: %d values, want %d", i, len(b), len(p.Blobs[i]))
		}
		if a := uintptr(unsafe.Pointer(&b[0])) % blobAlign; a != 0 {
			t.Errorf("blob %d is at %d mod %d", i, a, blobAlign)
		}
	}
	if q.Blobs[3][2] != -3 || q.Blobs[0][11] != 12 {
		t.Fatal("blob values lost")
	}
	// Decode from a reader gives aligned views too.
	r, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range r.Blobs {
		if a := uintptr(unsafe.Pointer(&b[0])) % blobAlign; a != 0 {
			t.Errorf("Decode: blob %d is at %d mod %d", i, a, blobAlign)
		}
	}
	if !bytes.Equal(encode(t, r), data) || !bytes.Equal(encode(t, q), data) {
		t.Fatal("re-encoding a decoded plan differs")
	}
	// Trailing bytes after the last blob are refused.
	bad := append(append([]byte(nil), data...), 0)
	fix(bad)
	if _, err := DecodeBytes(bad); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("trailing byte: %v", err)
	}
	// A blob length that runs past the file is refused.
	short := append([]byte(nil), data[:len(data)-8]...)
	fix(short)
	if _, err := DecodeBytes(short); err == nil || !strings.Contains(err.Error(), "past the end") {
		t.Fatalf("short blob: %v", err)
	}
}

func alignedCopy(b []byte) []byte {
	a := alignedBytes(len(b))
	copy(a, b)
	return a
}

func TestLoadMaps(t *testing.T) {
	path := t.TempDir() + "/big.plan"
	p := bigPlan()
	if err := Save(path, p); err != nil {
		t.Fatal(err)
	}
	q, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Release()
	if goruntime.GOOS == "linux" && !q.Mapped() {
		t.Fatal("Load did not map the plan file on Linux")
	}
	if !bytes.Equal(encode(t, q), encode(t, p)) {
		t.Fatal("loaded plan differs")
	}
	// The mapping is private: writing to a blob does not reach the file.
	q.Blobs[2][0] = 42
	r, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if r.Blobs[2][0] != 0 {
		t.Fatal("a write to a mapped blob reached the file")
	}
}
