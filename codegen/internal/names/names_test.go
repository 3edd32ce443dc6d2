package names

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var textSym = regexp.MustCompile(`(?m)^TEXT\s+·([^(\s]+)\(SB\)`)

// TestGeneratedKernelNames checks every TEXT symbol the generators wrote
// to asm/ (amd64 and arm64) against the scheme, and that every op in Ops
// names at least one kernel.
func TestGeneratedKernelNames(t *testing.T) {
	files, err := filepath.Glob("../../../asm/*.s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated assembly under asm/ (%v)", err)
	}
	used := map[string]int{}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range textSym.FindAllStringSubmatch(string(b), -1) {
			n++
			p, err := Parse(m[1])
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
				continue
			}
			used[p.Op]++
		}
	}
	if n < 100 {
		t.Fatalf("found only %d TEXT symbols under asm/", n)
	}
	for _, op := range Ops {
		if used[op] == 0 {
			t.Errorf("op %s in Ops names no generated kernel (remove it)", op)
		}
	}
}

func TestParse(t *testing.T) {
	good := map[string]Parts{
		"Gemm12x32AVX512Masked":       {"Gemm", "12x32", "AVX512", "Masked"},
		"Gemm6x8AVX2FMAPairsMasked":   {"Gemm", "6x8", "AVX2FMA", "PairsMasked"},
		"ConvPix6x16AVX2FMA":          {"ConvPix", "6x16", "AVX2FMA", ""},
		"GemmU8S8x8x32AVX512VNNI":     {"GemmU8S8", "8x32", "AVX512VNNI", ""},
		"QGemmU8S8x6x16AVXVNNI":       {"QGemmU8S8", "6x16", "AVXVNNI", ""},
		"DWConv3x3kw0to2AVX512":       {"DWConv", "3x3kw0to2", "AVX512", ""},
		"DWConvEdgeNEON":              {"DWConvEdge", "", "NEON", ""},
		"QAddU8AVX512":                {"QAddU8", "", "AVX512", ""},
		"StemConv3x3s2c3x16AVX2FMA":   {"StemConv", "3x3s2c3x16", "AVX2FMA", ""},
		"QStemConv3x3c4x64AVX512VNNI": {"QStemConv", "3x3c4x64", "AVX512VNNI", ""},
		"DotPeakSDOT":                 {"DotPeak", "", "SDOT", ""},
	}
	for name, want := range good {
		got, err := Parse(name)
		if err != nil || got != want {
			t.Errorf("Parse(%s) = %+v, %v; want %+v", name, got, err, want)
		}
	}
	for _, bad := range []string{
		"DWConv3x3s1_AVX2FMA",   // underscore
		"DWConv3x3S1NEON",       // upper-case stride
		"GAvgPool_AVX512",       // op not in Ops
		"GAvgPoolAVX512",        // op not in Ops
		"QStem3x3C4_1x16_VNNI",  // all of it
		"Gemm6x16",              // no ISA
		"Gemm6x16AVX2FMAmasked", // variant not capitalised
		"GemmU8S88x32SDOT",      // op ending in a digit without x
		"Gemmx6x16NEON",         // x without a digit-final op
		"Gemm6x16VNNI",          // VNNI alone is not a tag
	} {
		if p, err := Parse(bad); err == nil {
			t.Errorf("Parse(%s) = %+v, want an error", bad, p)
		}
	}
}
