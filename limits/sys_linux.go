package limits

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// machineMemory is the physical memory in bytes (0 if unknown).
func machineMemory() int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

// cgroupLimit is the cgroup v2 (or v1) memory limit in bytes, 0 if none.
func cgroupLimit() int64 {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && v > 0 && v < 1<<50 {
			return v
		}
	}
	return 0
}

// isTerminal reports whether path is a terminal (TCGETS succeeds).
func isTerminal(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var t syscall.Termios
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return e == 0
}

// addressLimit is the lower of the soft RLIMIT_AS and RLIMIT_DATA (ulimit -v,
// ulimit -d) in bytes, 0 if neither is set: Go's heap is private anonymous
// memory, which both count, and reaching either is a fatal error in Go.
func addressLimit() int64 {
	var lim int64
	for _, r := range []int{syscall.RLIMIT_AS, syscall.RLIMIT_DATA} {
		var rl syscall.Rlimit
		if err := syscall.Getrlimit(r, &rl); err != nil || rl.Cur >= 1<<62 { // RLIM_INFINITY is all ones
			continue
		}
		if v := int64(rl.Cur); lim == 0 || v < lim {
			lim = v
		}
	}
	return lim
}
