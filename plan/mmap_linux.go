package plan

import (
	"os"
	"syscall"
	"unsafe"
)

// mapFile maps a regular file read-write, private (copy on write), so its
// bytes can back the plan's blobs; ok is false when it cannot (not a
// regular file, empty, too large for this address space, or mmap fails),
// and the caller reads the file instead.
func mapFile(f *os.File) (data []byte, ok bool) {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() < headerSize || st.Size() > maxPayload+headerSize || int64(int(st.Size())) != st.Size() {
		return nil, false
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, false
	}
	return data, true
}

func unmap(data []byte) { _ = syscall.Munmap(data) }

// dropPages removes a mapping's pages from the process's resident set
// (MADV_DONTNEED). Only for a private file mapping nothing has written: its
// pages then read the same afterwards, from the page cache.
func dropPages(data []byte) {
	if len(data) > 0 {
		syscall.RawSyscall(syscall.SYS_MADVISE, uintptr(unsafe.Pointer(unsafe.SliceData(data))), uintptr(len(data)), syscall.MADV_DONTNEED)
	}
}
