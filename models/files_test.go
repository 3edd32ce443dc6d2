package models

import (
	"strings"
	"testing"
)

// The shipped description files build exactly the Go builders' graphs.
func TestDescFilesMatchBuilders(t *testing.T) {
	files := DescFiles()
	if len(files) != 8 {
		t.Fatalf("embedded descriptions %v, want 8", files)
	}
	for _, f := range files {
		text, err := DescFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fromFile, err := LoadDesc(f, strings.NewReader(text), BuildOptions{NoWeights: true})
		if err != nil {
			t.Fatal(err)
		}
		spec := strings.TrimSuffix(f, ".mnc")
		fromGo, err := BuildSpec(spec, BuildOptions{NoWeights: true})
		if err != nil {
			t.Fatal(err)
		}
		a, b := fromFile.String(), fromGo.String()
		if a != b {
			al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
			for i := range min(len(al), len(bl)) {
				if al[i] != bl[i] {
					t.Fatalf("%s differs from the Go builder at line %d:\nfile: %s\ngo:   %s", f, i+1, al[i], bl[i])
				}
			}
			t.Fatalf("%s: %d lines, Go builder %d", f, len(al), len(bl))
		}
	}
}

// A description with a width multiplier matches the Go builder too (the
// scaling rules of the two paths agree), including V3's "6x" last conv.
func TestDescWidthMatchesBuilders(t *testing.T) {
	for _, c := range []struct{ file, width, spec string }{
		{"mobilenet_v1.mnc", "0.75", "mobilenet_v1:alpha=0.75"},
		{"mobilenet_v2.mnc", "1.4", "mobilenet_v2:alpha=1.4"},
		{"mobilenet_v2.mnc", "0.35", "mobilenet_v2:alpha=0.35"},
		{"mobilenet_v3_small.mnc", "0.75", "mobilenet_v3_small:alpha=0.75"},
		{"mobilenet_v3_large.mnc", "0.5", "mobilenet_v3_large:alpha=0.5"},
		{"ssdlite320_mobilenet_v3_large.mnc", "0.5", "ssdlite:alpha=0.5"}, // extras: max(16, int(c·α))
		{"ssdlite320_mobilenet_v3_large.mnc", "0.25", "ssdlite:alpha=0.25"},
		{"mobilenet_v4_conv_small.mnc", "0.5", "mobilenet_v4_conv_small:alpha=0.5"}, // stem kept at 32, head 1280 unscaled
		{"mobilenet_v4_conv_small.mnc", "1.5", "mobilenet_v4_conv_small:alpha=1.5"},
		{"mobilenet_v4_conv_large.mnc", "0.75", "mobilenet_v4_conv_large:alpha=0.75"},
	} {
		text, _ := DescFile(c.file)
		text = strings.Replace(text, "width 1.0", "width "+c.width, 1)
		fromFile, err := LoadDesc(c.file, strings.NewReader(text), BuildOptions{NoWeights: true})
		if err != nil {
			t.Fatal(err)
		}
		fromGo, err := BuildSpec(c.spec, BuildOptions{NoWeights: true})
		if err != nil {
			t.Fatal(err)
		}
		// The names differ (the spec is in the Go graph's); the layers must not.
		a := strings.SplitN(fromFile.String(), "\n", 2)[1]
		b := strings.SplitN(fromGo.String(), "\n", 2)[1]
		if a != b {
			t.Errorf("%s at width %s differs from %s", c.file, c.width, c.spec)
		}
	}
}

// The SSDLite description builds the built-in detector with its weights:
// every constant equal (random weights by name, BatchNorm statistics
// calibrated the same way), so the outputs are the same.
func TestSSDLiteDescWeights(t *testing.T) {
	if testing.Short() {
		t.Skip("calibrates SSDLite twice at 320x320")
	}
	text, err := DescFile("ssdlite320_mobilenet_v3_large.mnc")
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := LoadDesc("ssdlite.mnc", strings.NewReader(text), BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromGo, err := BuildSpec("ssdlite", BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{}
	for _, v := range fromGo.Values() {
		if v.Const != nil {
			want[v.Name] = v.Const.Data
		}
	}
	n := 0
	for _, v := range fromFile.Values() {
		if v.Const == nil {
			continue
		}
		n++
		w, ok := want[v.Name]
		if !ok || len(w) != len(v.Const.Data) {
			t.Fatalf("constant %s: %d values, Go builder %d (present %v)", v.Name, len(v.Const.Data), len(w), ok)
		}
		for i := range w {
			if w[i] != v.Const.Data[i] {
				t.Fatalf("constant %s[%d] = %v, Go builder %v", v.Name, i, v.Const.Data[i], w[i])
			}
		}
	}
	if n != len(want) || n < 300 {
		t.Errorf("%d constants, Go builder %d", n, len(want))
	}
}
