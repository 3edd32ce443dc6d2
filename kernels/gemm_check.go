package kernels

import "fmt"

// The assembly GEMM kernels do no bounds checks, so every Gemm entry point
// validates its arguments once per call (a few comparisons) and panics with
// a message naming the kernel and the argument: a plan that gets here with
// a wrong shape is a compiler bug, and a clear panic beats memory corruption.

// need panics when a slice has fewer elements than a kernel will read or
// write (the assembly would go out of bounds instead); every ISA's entry
// points use it.
func need(kernel, what string, have, want int) {
	if have < want {
		panic(fmt.Sprintf("kernels: %s: %s has %d elements, need %d", kernel, what, have, want))
	}
}

// gemmCheck validates a Set.Gemm call for panel width nr.
func gemmCheck(kernel string, nr, m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int) {
	bad := func(format string, args ...any) {
		panic(fmt.Sprintf("kernels: %s: ", kernel) + fmt.Sprintf(format, args...))
	}
	if m < 0 || n < 0 || k < 0 {
		bad("negative size m=%d n=%d k=%d", m, n, k)
	}
	if n0 < 0 || n0 > n1 || n1 > n {
		bad("column range [%d, %d) outside [0, %d)", n0, n1, n)
	}
	if n0%nr != 0 {
		bad("n0=%d is not a multiple of the panel width %d", n0, nr)
	}
	if m == 0 || n0 == n1 {
		return
	}
	if m > 1 && (lda < k || ldc < n1 || (r != nil && ldr < n1)) {
		bad("row strides lda=%d ldc=%d ldr=%d too small for k=%d n1=%d", lda, ldc, ldr, k, n1)
	}
	if k > 0 {
		need(kernel, "a", len(a), (m-1)*lda+k)
	}
	need(kernel, "packed weights", len(bp), gemmPackedSize(n, k, nr))
	if bias != nil {
		need(kernel, "bias", len(bias), n)
	}
	if r != nil {
		need(kernel, "residual", len(r), (m-1)*ldr+n1)
	}
	need(kernel, "c", len(c), (m-1)*ldc+n1)
}
