package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"codeberg.org/go-fonts/liberation/liberationmonobold"
	"codeberg.org/go-fonts/liberation/liberationmonobolditalic"
	"codeberg.org/go-fonts/liberation/liberationmonoitalic"
	"codeberg.org/go-fonts/liberation/liberationmonoregular"
	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansbolditalic"
	"codeberg.org/go-fonts/liberation/liberationsansitalic"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-fonts/liberation/liberationserifbold"
	"codeberg.org/go-fonts/liberation/liberationserifbolditalic"
	"codeberg.org/go-fonts/liberation/liberationserifitalic"
	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// releaseStartupPages drops from the process's resident set the pages of
// the mnc executable that the work so far touched and what follows may not
// need: its read-only mappings (code, constant data) and the fonts that
// package initialisation parses (gonum/plot's 12 Liberation and go-latex's
// 4 Go TrueType files embedded in the binary's data, ~5 MB, read again by
// bench -plot only). They are clean pages of the executable file: one that
// is used again is read back from the page cache (a minor fault), as after
// the kernel reclaimed it. mnc calls it at start-up and, for a plan file,
// again between loading the plan and running it, so that the run's peak
// holds only the code the run itself touches.
//
// The kernel maps code back 64 KiB at a time (fault-around), so the code
// that runs after the first page is dropped is kept small: the ranges are
// collected first and dropped in one loop of raw system calls.
func releaseStartupPages() { releasePages(false) }

// releaseLeanPages is releaseStartupPages before the work that sets mnc's
// peak (the run of a plan file, the compile of a model run once): it also
// makes the kernel map the executable's code and constants back a page at
// a time from then on, not 64 KiB (see splitPages). `mnc run -threads 1`
// of MobileNetV2's plan: peak 20296-20864 -> 18452-18900 KiB with the
// plan's checksum dropping pages as it goes; from scratch
// 27716-29036 -> 26408-27816 KiB.
func releaseLeanPages() { releasePages(true) }

// splitDone is set once the executable's read-only mappings are split.
var splitDone bool

func releasePages(split bool) {
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
	// The fonts are []byte variables, so they sit in a writable mapping:
	// drop only the pages wholly inside them, which nothing writes.
	page := uintptr(os.Getpagesize())
	for _, ttf := range [][]byte{
		liberationmonobold.TTF, liberationmonobolditalic.TTF, liberationmonoitalic.TTF, liberationmonoregular.TTF,
		liberationsansbold.TTF, liberationsansbolditalic.TTF, liberationsansitalic.TTF, liberationsansregular.TTF,
		liberationserifbold.TTF, liberationserifbolditalic.TTF, liberationserifitalic.TTF, liberationserifregular.TTF,
		gobold.TTF, gobolditalic.TTF, goitalic.TTF, goregular.TTF,
	} {
		a := uintptr(unsafe.Pointer(unsafe.SliceData(ttf)))
		lo, hi := (a+page-1)&^(page-1), (a+uintptr(len(ttf)))&^(page-1)
		if len(ttf) > 0 && hi > lo {
			ranges = append(ranges, [2]uintptr{lo, hi})
		}
	}
	if split && !splitDone {
		splitDone = true
		for _, r := range ranges[:code] {
			splitPages(r[0], r[1], page)
		}
	}
	for _, r := range ranges {
		syscall.RawSyscall(syscall.SYS_MADVISE, r[0], r[1]-r[0], syscall.MADV_DONTNEED)
	}
}

// splitPages makes every page of [lo, hi) (read-only pages of the
// executable) a mapping of its own, so that a page fault there maps that
// page alone. The kernel's fault-around otherwise maps the whole aligned
// 64 KiB around a faulting address (the pages are in the page cache): the
// run of a plan touches ~40 such windows of code and constants (the
// runtime, the kernels it calls, spread over the assembly; pclntab), 2.9
// MiB of resident set for ~0.8 MiB of pages used. Mappings merge when
// their flags agree, so every other page is marked MADV_DONTDUMP: the
// executable's file-backed pages are not in core dumps by default anyway
// (coredump_filter), and the flag changes nothing else. It costs a system
// call per two pages and a kernel mapping record per page (mnc's 10 MiB of
// code and constants: ~1300 calls, ~1 ms; ~2600 records, well under the
// default limit of 65530, ~0.5 MB of kernel memory outside the resident
// set), and a page fault per page of code used instead of one per 64 KiB.
func splitPages(lo, hi, page uintptr) {
	for a := lo + page; a+page <= hi; a += 2 * page {
		syscall.RawSyscall(syscall.SYS_MADVISE, a, page, madvDontDump)
	}
}

// madvDontDump is MADV_DONTDUMP (16 on every Linux architecture mnc
// builds for; package syscall has it only on some).
const madvDontDump = 0x10
