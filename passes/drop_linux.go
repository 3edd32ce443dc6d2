package passes

import (
	"os"
	"syscall"
	"unsafe"
)

// dropPages gives the whole pages inside f back to the OS (MADV_DONTNEED):
// its memory stops counting as resident at once instead of when the
// collector frees it. The pages read as zeros afterwards; f's owner must
// not read them again (packGemmRows drops a weight it packed for its last
// reader). f holds no pointers, so the collector never reads it either.
func dropPages(f []float32) {
	if len(f) == 0 {
		return
	}
	page := uintptr(os.Getpagesize())
	a := uintptr(unsafe.Pointer(unsafe.SliceData(f)))
	lo, hi := (a+page-1)&^(page-1), (a+4*uintptr(len(f)))&^(page-1)
	if hi > lo {
		syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, syscall.MADV_DONTNEED)
	}
}
