// Command gemm generates mnc's GEMM micro-kernel macro-loops for amd64
// (AVX2+FMA and AVX-512) with avo, plus the FMA-peak loops the benchmarks
// compare them with. It is run from the root gen.go:
//
//	go run ./codegen/gemm -out asm/gemm_amd64.s -stubs asm/gemm_stub_amd64.go -pkg asm
//
// Every kernel comes from the one table below; kernel.go says what a kernel
// computes and how it is laid out.
package main

import (
	"flag"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
)

// kernels is the inventory of generated GEMM kernels. The Go side
// (kernels/gemm_amd64.go) picks one per ISA and panel; names say the tile
// (rows × panel width) and the instruction set, in the exported CamelCase
// the asm package needs (gemm_12x32_avx512 is Gemm12x32AVX512).
var kernels = []gemmKernel{
	// AVX2+FMA, panels of 16: full panels, partial panels, and ≤ 8 columns
	// (12x8: where a column range ends inside a panel).
	{name: "Gemm6x16AVX2FMA", isa: avx2, mr: 6, widths: []int{8, 8}, stride: 16},
	{name: "Gemm6x16AVX2FMAMasked", isa: avx2, mr: 6, widths: []int{8, 8}, stride: 16, masked: true},
	{name: "Gemm12x8AVX2FMAMasked", isa: avx2, mr: 12, widths: []int{8}, stride: 16, masked: true},
	// Last panels of ≤ 8 columns are packed in k pairs (pairs.go); VMASKMOVPS
	// stores are slow on AMD, so exactly 8 columns get an unmasked kernel.
	// They serve AVX-512 too: measured 91% of the FMA peak against 82% for
	// Gemm20x8AVX512Masked (one embedded broadcast per FMA).
	{name: "Gemm6x8AVX2FMAPairs", isa: avx2, mr: 6, widths: []int{8}, stride: 16, pairs: true},
	{name: "Gemm6x8AVX2FMAPairsMasked", isa: avx2, mr: 6, widths: []int{8}, stride: 16, masked: true, pairs: true},
	// The same panels on AVX-512 hosts with two zmm FMA pipes, where the
	// ymm FMAs above reach at most half the peak: a k pair of 8 columns is
	// one zmm (pairs.go). MobileNetV3's 40- and 72-channel layers on the
	// 2-core Zen 5 (whole GEMM, best of 30 calls, 15 alternated rounds):
	// 784×120→40 83.7 → 96.7% of the FMA peak, 784×72→40 82.8 → 94.5%,
	// 3136×24→72 83.3 → 87.0%, 196×80→200 96.9 → 99.7%.
	{name: "Gemm20x8AVX512Pairs", isa: avx512, mr: 20, widths: []int{8}, stride: 32, pairs: true, twoFMA: true, group: 5},
	{name: "Gemm20x8AVX512PairsMasked", isa: avx512, mr: 20, widths: []int{8}, stride: 32, masked: true, pairs: true, twoFMA: true, group: 5},
	// AVX-512, panels of 32: full panels, then the tail panel by its width
	// (17-24 columns as zmm+ymm, ≤ 16 as one vector with more rows). The
	// two-vector tiles broadcast A once into a register for both FMAs:
	// on this session's Zen 5 (family 0x1A, two 512-bit FMA pipes) that is
	// 10-17% faster than the FMA's embedded broadcast, which loads A twice
	// (26 loads per 24 FMAs): 400×672→546 165 → 195 GF/s, 400×112→672
	// 182 → 208, 6400×64→24 131 → 150 (kernels.BenchmarkGemm shapes,
	// alternating builds, load 16). An earlier session measured the
	// opposite on a 2×256-bit Zen 4 (12x24 98% of the FMA peak embedded,
	// 88% in registers); Intel's two load ports also favour registers. The
	// one-vector tiles keep the embedded broadcast (one load per FMA
	// either way); 14x32 was no faster than 12x32.
	{name: "Gemm12x32AVX512", isa: avx512, mr: 12, widths: []int{16, 16}, stride: 32},
	// The same tile prefetching the next panel into L2 as it goes, for
	// long k: in a network a layer's weights are cold (evicted by the
	// layers before), and the first tile of each panel waited for them.
	// MobileNetV1's 14² layers (196×512→512, 1 MB of weights) 3-6% faster
	// in the model on the 2-core Zen 5 (per-step medians of 60 alternated
	// rounds); warm, in kernels.BenchmarkGemm, within ±1.5%. It pays from
	// k = 32 (caches flushed before each call, best of 30: 196×64→384
	// 83 → 91% of the FMA peak, 196×96→576 91 → 96%, 196×32→192 72 → 76%;
	// k = 16-27 and warm calls equal; whole models 1-5% faster: V2, V3-L,
	// V3-S 0.95-0.98, V1 0.99-1.00).
	{name: "Gemm12x32AVX512Prefetch", isa: avx512, mr: 12, widths: []int{16, 16}, stride: 32, prefetch: true, minK: 32},
	{name: "Gemm12x32AVX512Masked", isa: avx512, mr: 12, widths: []int{16, 16}, stride: 32, masked: true},
	{name: "Gemm12x24AVX512Masked", isa: avx512, mr: 12, widths: []int{16, 8}, stride: 32, masked: true},
	// Exactly 24 columns (the last panel of n = 24, 56, 88...: MobileNetV2's
	// 24-channel projections): two rows in three zmm (rowpairs.go), 3 FMAs
	// per two rows and k step instead of 4.
	{name: "Gemm12x24AVX512RowPairs", isa: avx512, mr: 12, widths: []int{16, 8}, stride: 32, rowPairs: true},
	// Exactly 16 columns (n = 16, the last panel of n = 48, 144...) on
	// hosts with two zmm FMA pipes: two k rows zipped in registers, one A
	// broadcast per two FMAs (zippairs.go). Gemm20x16AVX512Masked needs
	// one per FMA, and there the loads bound it: on the 2-core Zen 5,
	// 12544x32x16 82.8 → 89.4% of the FMA peak, 3136x144x16 89.7 → 99.9%
	// (best of 30 calls, 20 alternated rounds). Hosts with one FMA pipe
	// are not load-bound on the 20-row tile and keep it (not measured).
	{name: "Gemm12x16AVX512ZipPairs", isa: avx512, mr: 12, widths: []int{16}, stride: 32, zipPairs: true, twoFMA: true},
	{name: "Gemm20x16AVX512Masked", isa: avx512, mr: 20, widths: []int{16}, stride: 32, masked: true, bcst: true, group: 5},
	// ≤ 8 columns: only where a column range ends inside a panel; a last
	// panel of ≤ 8 columns is packed in k pairs for Gemm6x8AVX2FMAPairs.
	{name: "Gemm20x8AVX512Masked", isa: avx512, mr: 20, widths: []int{8}, stride: 32, masked: true, bcst: true, group: 5},
}

// convKernels are the pixel-vector convolution tiles (conv.go): output
// channels as rows, 32 (AVX-512) or 16 (AVX2) output pixels as columns.
var convKernels = []convKernel{
	{gemmKernel{name: "ConvPix12x32AVX512", isa: avx512, mr: 12, widths: []int{16, 16}, stride: 32, masked: true, noResidual: true}},
	{gemmKernel{name: "ConvPix6x16AVX2FMA", isa: avx2, mr: 6, widths: []int{8, 8}, stride: 16, masked: true, noResidual: true}},
}

// tapKernels are the implicit-GEMM convolution kernels (kernels/conv_taps_amd64.go):
// the GEMM tiles with the kernel rows of a dense conv accumulated in one
// call (taps). Chaining one plain GEMM call per kernel row through C ran
// at k = KW·Cin (96 for V4's 3×3 FusedIB convs on 32 channels), where the
// plain tile reached about 235 GFLOP/s against 250 at k = 288 (best of
// kernels.BenchmarkGemm, 2-core Zen 5).
var tapKernels = []gemmKernel{
	{name: "ConvTaps12x32AVX512Masked", isa: avx512, mr: 12, widths: []int{16, 16}, stride: 32, masked: true, taps: true},
	{name: "ConvTaps6x16AVX2FMAMasked", isa: avx2, mr: 6, widths: []int{8, 8}, stride: 16, masked: true, taps: true},
}

// peaks are the FMA-throughput loops (independent accumulators) and the
// FMA-latency loops (one dependent chain) the FMA rate is measured with.
var peaks = []fmaPeak{
	{name: "FMAPeakAVX2FMA", isa: avx2, accs: 12},
	{name: "FMAPeakAVX512", isa: avx512, accs: 12},
	{name: "FMAChainAVX2FMA", isa: avx2, accs: 12, chain: true},
	{name: "FMAChainAVX512", isa: avx512, accs: 12, chain: true},
}

// int8Families are the int8 GEMM kernels, one family per ISA tag: a tile
// of rows × width columns (a packed panel of kernels.GemmS8Panel columns,
// or half of one) and its one-row variant, each as int32 sums (GemmU8S8)
// and requantized to bytes (QGemmU8S8). The table (table.go) writes their
// shapes and dispatchers for kernels/gemm_int8_amd64.go.
var int8Families = []int8Family{
	{tag: "AVX512VNNI", rows: 8, width: 32, emit: func(name string, rows int, q bool) { vnniGemm{name: name, rows: rows, q: q}.emit() }},
	{tag: "AVX2", rows: 4, width: 16, emit: func(name string, rows int, q bool) { avx2Int8Gemm{name: name, rows: rows, q: q}.emit() }},
	{tag: "AVXVNNI", rows: 6, width: 16, emit: func(name string, rows int, q bool) { avxVNNIGemm{name: name, rows: rows, q: q}.emit() }},
}

type int8Family struct {
	tag         string // ISA tag (codegen/internal/names)
	rows, width int    // the tile; width is what the generator's kernel computes
	emit        func(name string, rows int, q bool)
}

// name is the kernel of the family with rows rows, requantizing if q.
func (f int8Family) name(q bool, rows int) string {
	op := "GemmU8S8"
	if q {
		op = "QGemmU8S8"
	}
	return fmt.Sprintf("%sx%dx%d%s", op, rows, f.width, f.tag)
}

func main() {
	flag.Parse() // avo's own flags (-out, -stubs, -pkg) are on the same flag set
	writeTable(*table)
	ConstraintExpr("amd64")
	ConstraintExpr("!purego")
	iota := emitIota(32)
	for i := range kernels {
		kernels[i].emit(iota)
	}
	for i := range tapKernels {
		tapKernels[i].emit(iota)
	}
	for i := range convKernels {
		convKernels[i].emit(iota)
	}
	for _, p := range peaks {
		p.emit()
	}
	vnniPeak{name: "DotPeakAVX512VNNI", accs: 12}.emit()
	for _, f := range int8Families {
		for _, q := range []bool{false, true} {
			for _, rows := range []int{f.rows, 1} {
				f.emit(f.name(q, rows), rows, q)
			}
		}
	}
	Generate()
}
