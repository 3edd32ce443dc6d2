package main

import (
	"bufio"
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
)

// releaseStartupPages drops from the process's resident set the pages of
// the mnc executable that starting it touched and a command may not need
// again: its read-only mappings (code, constant data) and the fonts that
// gonum/plot's package initialisation parses (12 TrueType files embedded in
// the binary's data, ~4 MB, read by the plotting of bench -plot only).
// They are clean pages of the executable file: one that is used again is
// read back from the page cache (a minor fault), as after the kernel
// reclaimed it. Measured on `mnc run -threads 1` of V2's plan: 28.2-28.9 ->
// 24.9 MB peak RSS, of which 13.8 MB is the plan's weights.
func releaseStartupPages() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 00400000-008d1000 r-xp 00000000 fd:01 1234 /path/to/mnc
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || len(fields[1]) < 2 || fields[1][1] == 'w' {
			continue // writable mappings may hold data the program changed
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil && b > a {
			dontNeed(uintptr(a), uintptr(b))
		}
	}
	// The fonts are []byte variables, so they sit in a writable mapping:
	// drop only the pages wholly inside them, which nothing writes.
	for _, ttf := range [][]byte{
		liberationmonobold.TTF, liberationmonobolditalic.TTF, liberationmonoitalic.TTF, liberationmonoregular.TTF,
		liberationsansbold.TTF, liberationsansbolditalic.TTF, liberationsansitalic.TTF, liberationsansregular.TTF,
		liberationserifbold.TTF, liberationserifbolditalic.TTF, liberationserifitalic.TTF, liberationserifregular.TTF,
	} {
		if len(ttf) == 0 {
			continue
		}
		page := uintptr(os.Getpagesize())
		a := uintptr(unsafe.Pointer(unsafe.SliceData(ttf)))
		lo, hi := (a+page-1)&^(page-1), (a+uintptr(len(ttf)))&^(page-1)
		if hi > lo {
			dontNeed(lo, hi)
		}
	}
}

func dontNeed(lo, hi uintptr) {
	syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, syscall.MADV_DONTNEED)
}
