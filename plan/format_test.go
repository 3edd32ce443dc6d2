package plan

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/internal/fuzzcap"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

// samplePlan is a small, valid plan: a 1×1 conv as GEMM then a ReLU in place.
func samplePlan() *Plan {
	x := Operand{Off: 0, Shape: ir.Shape{1, 4, 2, 2}}
	xh := Operand{Off: 16, Shape: ir.Shape{1, 4, 2, 2}, NHWC: true}
	y := Operand{Off: 32, Shape: ir.Shape{1, 3, 2, 2}, NHWC: true}
	yo := Operand{Off: 0, Shape: ir.Shape{1, 3, 2, 2}}
	a := ir.ConvAttrs(1, 0, 1)
	a.Fused = ir.Epilogue{Act: ir.ActClip, Min: 0, Max: 6}
	return &Plan{
		Name: "sample", ISA: kernels.Generic, Batch: 1, ArenaSize: 44,
		Inputs:  []IO{{Name: "x", Buf: x}},
		Outputs: []IO{{Name: "y", Buf: yo}},
		Steps: []Step{
			{Kind: KindToNHWC, Name: "x_nhwc", In: []Operand{x}, Out: xh},
			{Kind: KindGemm, Name: "conv", Op: ir.OpConv, Algo: "gemm", Fused: []string{"bn", "relu6"}, In: []Operand{xh}, Out: y, Consts: []int{0, NoBlob}, WShape: ir.Shape{3, 4, 1, 1}, Attrs: a},
			{Kind: KindActivate, Name: "act", Op: ir.OpRelu, In: []Operand{y}, Out: y, InPlace: true, Attrs: ir.Attrs{Fused: ir.Epilogue{Act: ir.ActRelu}}},
			{Kind: KindToNCHW, Name: "y", In: []Operand{y}, Out: yo},
		},
		Blobs:     [][]float32{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		PeakBytes: 176,
	}
}

func encode(t testing.TB, p *Plan) []byte {
	var b bytes.Buffer
	if err := Encode(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	p := samplePlan()
	q, err := Decode(bytes.NewReader(encode(t, p)))
	if err != nil {
		t.Fatal(err)
	}
	// Normalise nil vs empty slices the encoder cannot tell apart.
	if !reflect.DeepEqual(encode(t, q), encode(t, p)) {
		t.Fatalf("re-encoding the decoded plan differs")
	}
	if q.Steps[1].Attrs.Fused != p.Steps[1].Attrs.Fused || q.Blobs[0][11] != 12 || q.Steps[1].Algo != "gemm" {
		t.Fatalf("decoded plan lost fields: %+v", q.Steps[1])
	}
}

func TestDecodeErrors(t *testing.T) {
	good := encode(t, samplePlan())
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated header"},
		{"short header", good[:10], "truncated header"},
		{"wrong magic", mut(func(b []byte) []byte { b[0] = 'X'; return b }), "not a plan file"},
		{"not a plan", []byte("hello"), "not a plan file"},
		{"wrong version", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 99); return b }), "unsupported format version 99"},
		{"bad isa", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 77); return b }), "unknown ISA"},
		{"truncated payload", good[:len(good)-5], "truncated payload"},
		{"huge length", mut(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[16:], 1<<62); return b }), "implausible"},
		{"checksum", mut(func(b []byte) []byte { b[len(b)-1] ^= 0x40; return b }), "checksum mismatch"},
	}
	for _, c := range cases {
		_, err := Decode(bytes.NewReader(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	p := samplePlan()
	p.Steps[1].Out.Off = 40 // runs past the arena
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "outside the arena") {
		t.Fatalf("got %v", err)
	}
	p = samplePlan()
	p.Steps[1].Consts[0] = 5
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "blob 5") {
		t.Fatalf("got %v", err)
	}
}

func TestCheckMemory(t *testing.T) {
	p := samplePlan()
	if err := CheckMemory(p); err != nil {
		t.Fatalf("sample plan: %v", err)
	}
	// The GEMM output overlapping its live input must be caught.
	p.Steps[1].Out.Off = 20
	p.Steps[2].In[0].Off, p.Steps[2].Out.Off = 20, 20
	p.Steps[3].In[0].Off = 20
	if err := CheckMemory(p); err == nil {
		t.Fatal("overlap of a step's input and output was not reported")
	}
}

func FuzzDecode(f *testing.F) {
	good := encode(f, samplePlan())
	f.Add(good)
	f.Add(encode(f, slicePlan())) // channel slices (concat-in-place)
	f.Add(good[:headerSize])
	f.Add([]byte(Magic))
	f.Add([]byte{})
	// Seeds whose checksum is right but whose payload is damaged, so the
	// fuzzer explores the payload decoder and Validate too.
	for _, i := range []int{headerSize + 1, headerSize + 9, len(good) / 2, len(good) - 3} {
		b := append([]byte(nil), good...)
		b[i] ^= 0xff
		fix(b)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzcap.Run(t, func() {
			if len(data) >= headerSize && string(data[:8]) == Magic {
				fix(data) // mostly explore past the checksum
			}
			p, err := Decode(bytes.NewReader(data))
			if err == nil {
				if err := p.Validate(); err != nil {
					t.Fatalf("Decode accepted an invalid plan: %v", err)
				}
				_ = CheckMemory(p)
			}
		})
	})
}

// fix rewrites the header's length and checksum to match the payload.
func fix(b []byte) {
	payload := b[headerSize:]
	binary.LittleEndian.PutUint64(b[16:], uint64(len(payload)))
	binary.LittleEndian.PutUint32(b[24:], crc32IEEE(payload))
}

func TestSaveLoad(t *testing.T) {
	path := t.TempDir() + "/sample.mncplan"
	if err := Save(path, samplePlan()); err != nil {
		t.Fatal(err)
	}
	q, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encode(t, q), encode(t, samplePlan())) {
		t.Fatal("loaded plan differs")
	}
	if _, err := Load(path + ".missing"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing file: %v", err)
	}
}
