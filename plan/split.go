package plan

import "github.com/mnc-go/mnc/kernels"

// How the runtime cuts steps between threads, where the compiler needs to
// know it too (planMemory's two-thread arena).

// GemmByRows reports whether a GEMM of m rows, n columns and depth k on nt
// threads is split by rows (each thread whole rows of the output) rather
// than by column panels (each thread a channel range of every row): many
// rows; or too few columns for two panels; or at least MinGemmRows rows a
// thread and weights that stay in L2 (V3's 7×7 maps: each thread then
// reads only the rows of A it made, and the weights stay cached in both
// cores). Few rows (FC, SE) or big weights (V1's 7×7 layers, 2–4 MB) split
// columns, so no thread runs a ragged tile of a handful of rows or streams
// all the weights.
func GemmByRows(m, n, k, nt int, set *kernels.Set) bool {
	return m >= 48*nt || n < 2*set.NR || m >= MinGemmRows*nt && n*k*4 <= GemmL2Weights
}

// MinGemmRows is the fewest rows per thread of a row-split GEMM with
// few rows (see GemmByRows): two AVX-512 tiles.
const MinGemmRows = 24

// GemmL2Weights bounds the weights (bytes) of a GEMM split by rows although
// it has few rows (see GemmByRows): well within a core's L2.
const GemmL2Weights = 512 << 10

// DWByChannels reports whether a depthwise step on nt threads is split
// by channel ranges (each thread all rows of its channels) rather than by
// rows: when both its input and its output have at most DWChannelRows
// rows per thread and there are channels for two quanta a thread (on 2
// threads, step medians: V1's 7×7×1024 24 -> 20 µs, V3-S's 7×7×576
// 23 -> 18 and 26 -> 17 µs). There a row split reads a
// large part of its input (the halo rows, and rows that the producing
// GEMM's row quanta gave the other thread) from the other core, while a
// channel range reads only its channels, which the column-split GEMM
// before it wrote on the same thread. Larger maps keep rows: the 14×14
// steps of V1 measured 24 -> 33 µs split by channels, also after a GEMM
// split by columns, as each thread then writes lines all over a buffer
// that the centred two-thread arena (passes/planmem.go) gives to one
// thread per half. One thread, and ISAs without DWConvChannels, always
// split rows.
func DWByChannels(p *kernels.DWParams, batch, nt int, set *kernels.Set) bool {
	return nt > 1 && set.DWConvChannels != nil &&
		batch*max(p.H, p.OH) <= DWChannelRows*nt && p.C >= 2*kernels.DWChannelQuantum*nt
}

// DWChannelRows is the most input or output rows per thread of a
// depthwise step split by channels (see DWByChannels).
const DWChannelRows = 4

// ChannelSplit reports whether step s on nt threads is cut into channel
// ranges of every pixel (a GEMM split by column panels, a depthwise conv
// split by channels), so that the threads' output lines interleave, a
// run of each thread's lines per pixel, instead of each thread writing
// a contiguous part of the output (rows, pixels).
func ChannelSplit(s *Step, nt int, set *kernels.Set) bool {
	if nt < 2 || s.Out.DType != F32 || len(s.Out.Shape) != 4 {
		return false
	}
	switch s.Kind {
	case KindGemm:
		m, n, k, err := GemmDims(s)
		return err == nil && !GemmByRows(m, n, k, nt, set)
	case KindDWConv:
		p, err := DWParams(s)
		return err == nil && DWByChannels(&p, s.Out.Shape[0], nt, set)
	}
	return false
}
