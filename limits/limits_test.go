package limits

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"512": 512, "1KiB": 1 << 10, "64MiB": 64 << 20, "1.5GiB": 3 << 29, "2 g": 2 << 30, "1TB": 1 << 40} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "-1GiB", "lots", "3 parsecs", "1e30TiB"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
}

func TestCheckAndMul(t *testing.T) {
	if Mul(1<<40, 1<<40) != math.MaxInt64 || Mul(3, -1) != math.MaxInt64 || Mul(4, 5, 6) != 120 {
		t.Error("Mul does not saturate")
	}
	if err := Check(100, "x", 100); err != nil {
		t.Error(err)
	}
	err := Check(100, "the arena", 101)
	if err == nil || !strings.Contains(err.Error(), "the arena needs 101 B, more than the memory budget of 100 B") {
		t.Errorf("Check: %v", err)
	}
	if Check(100, "x", -1) == nil {
		t.Error("an overflowed (negative) size passed")
	}
	SetMaxMemory(1 << 20)
	if MaxMemory() != 1<<20 || Check(0, "x", 2<<20) == nil {
		t.Error("SetMaxMemory ignored")
	}
	SetMaxMemory(0)
	if d := Default(); MaxMemory() != d || d < 256<<20 || d > DefaultCap {
		t.Errorf("default budget %d", d)
	}
}

// TestBudgetFor: an address-space limit (ulimit -v) lowers the default
// budget below what the limit leaves after Go's own mappings; before, a
// 2 GB ulimit on a 23 GB machine left the 4 GiB default and a request the
// budget passed ended in Go's fatal out-of-memory error.
func TestBudgetFor(t *testing.T) {
	for _, c := range []struct{ m, c, a, want int64 }{
		{0, 0, 0, DefaultCap},
		{23 << 30, 0, 0, DefaultCap},
		{4 << 30, 0, 0, 2 << 30},
		{23 << 30, 1 << 30, 0, 512 << 20},
		{23 << 30, 0, 2 << 30, 512 << 20},
		{23 << 30, 0, 3 << 30, 1 << 30},
		{23 << 30, 0, 1 << 30, 256 << 20},
		{23 << 30, 0, 100 << 30, DefaultCap},
	} {
		if got := budgetFor(c.m, c.c, c.a); got != c.want {
			t.Errorf("budgetFor(%d, %d, %d) = %d, want %d", c.m, c.c, c.a, got, c.want)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	os.WriteFile(f, make([]byte, 100), 0o644)
	if b, err := ReadFile(f, "model", 100); err != nil || len(b) != 100 {
		t.Errorf("%d bytes, %v", len(b), err)
	}
	if _, err := ReadFile(f, "model", 99); err == nil || !strings.Contains(err.Error(), "more than the 99 B allowed") {
		t.Errorf("over the bound: %v", err)
	}
	if _, err := ReadFile(dir, "model", 0); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if _, err := ReadFile("/dev/zero", "model", 0); err == nil || !strings.Contains(err.Error(), "is a device") {
		t.Errorf("/dev/zero: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.Write(make([]byte, 1000))
		w.Close()
	}()
	defer r.Close()
	if _, err := ReadAll(r, "pipe", "model", 10); err == nil || !strings.Contains(err.Error(), "more than the 10 B allowed") {
		t.Errorf("pipe over the bound: %v", err)
	}
}
