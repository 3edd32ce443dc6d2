// Package fuzzcap caps the memory of fuzz targets: each input runs under a
// small mnc memory budget (so the budget's checks, not the allocations they
// guard, are what a huge declared size meets), and an input that still
// allocates more than MaxAlloc fails the fuzzer, naming the size, instead
// of swapping or reaching Go's fatal out-of-memory.
package fuzzcap

import (
	"runtime"
	"testing"

	"github.com/mnc-go/mnc/limits"
)

// Budget is the mnc memory budget (limits.SetMaxMemory) inside fuzz targets.
const Budget = 64 << 20

// MaxAlloc is what one fuzz input may allocate in all.
const MaxAlloc = 512 << 20

// Run runs f for one fuzz input under Budget and fails t when f allocated
// more than MaxAlloc bytes.
func Run(t *testing.T, f func()) {
	t.Helper()
	limits.SetMaxMemory(Budget)
	defer limits.SetMaxMemory(0)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	if a := m1.TotalAlloc - m0.TotalAlloc; a > MaxAlloc {
		t.Fatalf("this input made mnc allocate %d MiB (cap %d MiB with a %d MiB budget)", a>>20, MaxAlloc>>20, Budget>>20)
	}
}
