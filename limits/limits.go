// Package limits is mnc's memory budget: one number, checked before
// anything large is allocated, so that no input — a hostile ONNX file, a
// description asking for terabytes of weights, a plan whose header lies, a
// batch of ten thousand — reaches Go's fatal out-of-memory error. Exceeding
// it is an ordinary error naming what would have been allocated and how
// much.
//
// The budget covers, each checked on its own against the whole budget:
//
//   - model and plan files and -input files (read with a bound, never whole
//     before their size is known) and ONNX external data;
//   - constants folded at ONNX import (ConstantOfShape, Range, Expand, ...),
//     which are limited to FoldFraction of the budget: a model's own shape
//     arithmetic is tiny, so a big folded constant is a file amplifying
//     itself;
//   - the weights a description file builds and the activations its
//     calibration run needs;
//   - what an executor allocates: the arena, scratch × threads, and the
//     batch's inputs and outputs.
//
// The default is half the machine's memory (or of the cgroup's limit when
// lower), at most DefaultCap: MobileNets need well under 1 GiB at batch 1,
// and a cap keeps a mistyped batch or resolution from thrashing a large
// machine. Under an address-space or data limit (ulimit -v, ulimit -d) it is
// at most half of what that limit leaves after Go's own reservations
// (AddressOverhead), so that a request the budget passes does not end in
// Go's fatal out-of-memory error instead. Override it with SetMaxMemory (mnc -max-memory) or per call with the
// MaxMemory fields of mnc.Options, passes.Options and runtime.Options.
package limits

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultCap bounds the default budget: 4 GiB.
const DefaultCap = 4 << 30

// AddressOverhead is the address space a Go process maps besides its heap
// (the runtime's reservations, the binary, stacks, the plan's code): about
// 0.6-1 GiB for mnc. Under ulimit -v 2000000 (1.9 GiB) an allocation of
// 406 MB failed with 557 MB of heap in use.
const AddressOverhead = 1 << 30

// FoldFraction is the share of the budget one constant folded at import
// may take (1/16: 256 MiB at the default cap).
const FoldFraction = 16

var (
	maxMemory   atomic.Int64 // 0: Default()
	defaultOnce sync.Once
	defaultVal  int64
)

// Default is the budget when none is set: half the machine's memory (or of
// the cgroup memory limit when that is lower), at most DefaultCap, at most
// half of an address-space limit less AddressOverhead, at least 256 MiB.
func Default() int64 {
	defaultOnce.Do(func() {
		defaultVal = budgetFor(machineMemory(), cgroupLimit(), addressLimit())
	})
	return defaultVal
}

// budgetFor is Default for a machine of m bytes, a cgroup limit c and an
// address-space limit a (0: unknown or none).
func budgetFor(m, c, a int64) int64 {
	if c > 0 && (m == 0 || c < m) {
		m = c
	}
	v := int64(DefaultCap)
	if m > 0 {
		v = min(v, m/2)
	}
	if a > 0 {
		v = min(v, max(a-AddressOverhead, 0)/2)
	}
	return max(v, 256<<20)
}

// MaxMemory is the budget in bytes now in force.
func MaxMemory() int64 {
	if v := maxMemory.Load(); v > 0 {
		return v
	}
	return Default()
}

// SetMaxMemory sets the process-wide budget; 0 (or less) restores the
// default. Options.MaxMemory of mnc, passes and runtime override it for one
// call.
func SetMaxMemory(n int64) { maxMemory.Store(max(n, 0)) }

// Or returns n when positive, else the process-wide budget.
func Or(n int64) int64 {
	if n > 0 {
		return n
	}
	return MaxMemory()
}

// Error is a request over the budget.
type Error struct {
	What         string // what would be allocated
	Bytes, Limit int64
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s needs %s, more than the memory budget of %s (raise it with -max-memory)", e.What, Size(e.Bytes), Size(e.Limit))
}

// Check returns an *Error when bytes exceeds limit (0: the process-wide
// budget). Negative bytes mean the size overflowed and always fail.
func Check(limit int64, what string, bytes int64) error {
	limit = Or(limit)
	if bytes < 0 || bytes > limit {
		if bytes < 0 {
			bytes = math.MaxInt64
		}
		return &Error{What: what, Bytes: bytes, Limit: limit}
	}
	return nil
}

// Mul multiplies non-negative factors, saturating at math.MaxInt64 (so an
// overflowing size still fails a Check instead of wrapping around).
func Mul(f ...int64) int64 {
	p := int64(1)
	for _, x := range f {
		if x < 0 {
			return math.MaxInt64
		}
		if x != 0 && p > math.MaxInt64/x {
			return math.MaxInt64
		}
		p *= x
	}
	return p
}

// Size formats a byte count: "512 B", "3.0 MiB", "16.0 GiB", "> 8 EiB".
func Size(b int64) string {
	switch {
	case b == math.MaxInt64:
		return "more than 8 EiB"
	case b < 1<<10:
		return fmt.Sprintf("%d B", b)
	case b < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	case b < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b < 1<<40:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%.1f TiB", float64(b)/(1<<40))
}

// ParseSize reads a byte count: a number with an optional unit B, K/KB/KiB,
// M/MB/MiB, G/GB/GiB, T/TB/TiB (all powers of 1024).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("want a positive size like 512MiB or 8GiB, got %q", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
		"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
		"t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown size unit %q in %q (use B, KiB, MiB, GiB or TiB)", unit, s)
	}
	v := f * mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// ReadFile reads a file of at most max bytes (0: the budget). A regular
// file's size is checked before reading; a pipe or terminal is read through
// a bound; a directory or a device other than a terminal is refused, so
// /dev/zero or a FIFO nobody writes cannot hang mnc or fill its memory.
func ReadFile(path, what string, max int64) ([]byte, error) {
	f, err := Open(path, what)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, path, what, max)
}

// Open opens a file mnc reads as input: regular files, pipes and FIFOs,
// and character devices that are terminals (/dev/stdin); it refuses
// directories and other devices (/dev/zero) before reading anything.
func Open(path, what string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := readable(st, path, what); err != nil {
		return nil, err
	}
	return os.Open(path)
}

func readable(st os.FileInfo, path, what string) error {
	m := st.Mode()
	switch {
	case m.IsRegular(), m&os.ModeNamedPipe != 0:
		return nil
	case m.IsDir():
		return fmt.Errorf("%s %s is a directory", what, path)
	case m&os.ModeCharDevice != 0 && isTerminal(path):
		return nil
	}
	kind := "a device"
	switch {
	case m&os.ModeSocket != 0:
		kind = "a socket"
	case m&os.ModeIrregular != 0:
		kind = "an irregular file"
	}
	return fmt.Errorf("%s %s is %s, not a regular file or a pipe", what, path, kind)
}

// ReadAll reads f, of at most max bytes (0: the budget), with an error
// that names what it is when it is longer.
func ReadAll(f *os.File, path, what string, max int64) ([]byte, error) {
	max = Or(max)
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := readable(st, path, what); err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() {
		if st.Size() > max {
			return nil, fmt.Errorf("%s %s has %s, more than the %s allowed", what, path, Size(st.Size()), Size(max))
		}
		b := make([]byte, st.Size())
		if _, err := io.ReadFull(f, b); err != nil {
			return nil, fmt.Errorf("%s %s: %w", what, path, err)
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(bufio.NewReader(f), max+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s %s has more than the %s allowed", what, path, Size(max))
	}
	return b, nil
}
