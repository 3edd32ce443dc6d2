package leanmem

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// Release drops from the process's resident set the pages of the
// executable's read-only mappings (code, constant data) and the pages
// wholly inside each of clean (data of the executable that nothing
// writes, such as embedded files read at most once). They are clean pages
// of the executable file: one that is used again is read back from the
// page cache (a minor fault), as after the kernel reclaimed it.
//
// With split, the read-only mappings are first split into one mapping per
// page (once per process), so that from then on a page fault there maps
// that page alone. The kernel's fault-around otherwise maps the whole
// aligned 64 KiB around a faulting address (the pages are in the page
// cache; MADV_RANDOM does not stop it): `mnc run` of MobileNetV2's plan
// touched 47 such windows of code and constants (the runtime, the kernels
// it calls, spread over the assembly; pclntab), 2.9 MiB of resident set,
// for ~0.8 MiB of pages used. Mappings merge when their flags agree, so
// every other page is marked MADV_DONTDUMP: the executable's file-backed
// pages are not in core dumps by default anyway (coredump_filter), and
// the flag changes nothing else. It costs a system call per two pages and
// a kernel mapping record per page (mnc's 10 MiB of code and constants:
// ~1300 calls, ~1 ms; ~2600 records, well under the default limit of
// 65530, ~0.5 MB of kernel memory outside the resident set), and a page
// fault per page of code used instead of one per 64 KiB.
//
// The code that runs after the first page is dropped is kept small (the
// kernel maps it back as it runs): the ranges are collected first and
// dropped in one loop of raw system calls.
func Release(split bool, clean ...[]byte) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	var ranges [][2]uintptr
	for _, line := range strings.Split(string(maps), "\n") {
		// 00400000-008d1000 r-xp 00000000 fd:01 1234 /path/to/mnc
		fields := strings.Fields(line)
		if len(fields) < 6 || fields[5] != exe || len(fields[1]) < 2 || fields[1][1] == 'w' {
			continue // writable mappings may hold data the program changed
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil && b > a {
			if n := len(ranges); n > 0 && ranges[n-1][1] == uintptr(a) {
				ranges[n-1][1] = uintptr(b) // code and constants are adjacent: one call
			} else {
				ranges = append(ranges, [2]uintptr{uintptr(a), uintptr(b)})
			}
		}
	}
	code := len(ranges)
	// Clean data sits in a writable mapping: drop only the pages wholly
	// inside it, which nothing writes.
	page := uintptr(os.Getpagesize())
	for _, b := range clean {
		a := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		lo, hi := (a+page-1)&^(page-1), (a+uintptr(len(b)))&^(page-1)
		if len(b) > 0 && hi > lo {
			ranges = append(ranges, [2]uintptr{lo, hi})
		}
	}
	if split && !splitDone {
		splitDone = true
		for _, r := range ranges[:code] {
			for a := r[0] + page; a+page <= r[1]; a += 2 * page {
				syscall.RawSyscall(syscall.SYS_MADVISE, a, page, madvDontDump)
			}
		}
	}
	for _, r := range ranges {
		syscall.RawSyscall(syscall.SYS_MADVISE, r[0], r[1]-r[0], syscall.MADV_DONTNEED)
	}
}

// splitDone is set once the executable's read-only mappings are split.
var splitDone bool

// madvDontDump is MADV_DONTDUMP (16 on every Linux architecture mnc
// builds for; package syscall has it only on some).
const madvDontDump = 0x10
