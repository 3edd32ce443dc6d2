package runtime

import (
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// GEMM inputs whose row stride is a multiple of 4 KiB.
//
// A GEMM micro-kernel broadcasts from up to 20 rows of A at once. When
// rows lie a multiple of 4 KiB apart (k = 1024 or 2048 channels), all of
// them map to the same L1 set, which holds only 12 lines: every broadcast
// misses L1. Measured on AVX-512 (one thread, m=49 k=1024 n=1024, V1's last
// 1×1 conv): 73 GFLOP/s with stride 1024 against 104 GFLOP/s with stride
// 1040. Such steps copy their rows of A into a per-thread buffer with a
// stride one cache line longer before calling the kernel; the copy is k·m
// floats against k·m·n multiply-adds.

const (
	aliasBytes = 4096
	padFloats  = 16  // one 64-byte cache line
	padMinRows = 4   // fewer rows cannot fill a set
	padTarget  = 240 // about the rows copied per block: bounds the buffer
)

// padRows is the rows copied per block for set: about padTarget, a
// multiple of every micro-tile height its Gemm uses (Set.RowMultiple).
func padRows(set *kernels.Set) int {
	m := max(1, set.RowMultiple)
	return max(1, padTarget/m) * m
}

// paddedStride is the stride to copy a GEMM's A (k columns, rows sa
// apart: k, or the wider tensor's channels of a channel slice) to, or 0
// when sa is fine.
func paddedStride(m, k, sa int) int {
	if m < padMinRows || sa*4%aliasBytes != 0 {
		return 0
	}
	if k*4%aliasBytes != 0 {
		return k
	}
	return k + padFloats
}

// gemmPadSize is the per-thread buffer the plan's padded GEMMs need.
func gemmPadSize(p *plan.Plan, set *kernels.Set) int {
	size := 0
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Kind != plan.KindGemm {
			continue
		}
		m, _, k, err := plan.GemmDims(s)
		if err != nil {
			continue // prepGemm reports it
		}
		if lda := paddedStride(m, k, s.In[0].RowStride()); lda > 0 {
			size = max(size, min(m, padRows(set))*lda)
		}
	}
	return size
}

// copyRows copies rows [0, rows) of a (k values, stride sa) to dst with
// stride lda.
func copyRows(dst, a []float32, rows, k, sa, lda int) {
	for i := 0; i < rows; i++ {
		copy(dst[i*lda:i*lda+k], a[i*sa:i*sa+k])
	}
}
