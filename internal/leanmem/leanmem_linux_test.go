package leanmem

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestReleaseSplitFaultsAPageAtATime: after Release(true) the code
// this test runs comes back a page at a time, not in whole 64 KiB windows
// (the kernel's fault-around): fewer than 8 resident pages per 64 KiB
// window touched (16 each with fault-around; measured 2-3 here).
func TestReleaseSplitFaultsAPageAtATime(t *testing.T) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Skip(err)
	}
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Skip(err)
	}
	defer pm.Close()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip(err)
	}
	var lo, hi uint64 // the executable's code
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[5] == exe && f[1] == "r-xp" {
			a, b, _ := strings.Cut(f[0], "-")
			lo, _ = strconv.ParseUint(a, 16, 64)
			hi, _ = strconv.ParseUint(b, 16, 64)
			break
		}
	}
	if hi <= lo {
		t.Skip("no code mapping of the executable found")
	}
	page := uint64(os.Getpagesize())
	buf := make([]byte, 8*(hi-lo)/page)
	Release(true)
	if _, err := pm.ReadAt(buf, int64(8*(lo/page))); err != nil {
		t.Skip(err)
	}
	pages, windows := 0, map[uint64]bool{}
	for i := 0; i+8 <= len(buf); i += 8 {
		if buf[i+7]&0x80 != 0 { // bit 63: present
			pages++
			windows[(lo+uint64(i/8)*page)>>16] = true
		}
	}
	t.Logf("%d pages of code resident in %d windows of 64 KiB", pages, len(windows))
	if len(windows) == 0 {
		t.Skip("no page reads as present")
	}
	if pages >= 8*len(windows) {
		t.Errorf("%d pages of code resident in %d windows of 64 KiB: code still comes back 64 KiB at a time", pages, len(windows))
	}
}
