package plan

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// rss is this process's resident set (VmRSS) in bytes.
func rss(t *testing.T) int64 { return statusBytes(t, "VmRSS:") }

// statusBytes is a size field of /proc/self/status (VmRSS:, VmHWM:) in bytes.
func statusBytes(t *testing.T, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			if f := strings.Fields(v); len(f) == 2 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n << 10
				}
			}
		}
	}
	t.Skip("no " + field)
	return 0
}

// TestLoadLeavesPagesOut: loading a mapped plan reads every page (the CRC)
// but leaves none of the weights resident: they come in when used, with
// their values, and Release takes them out again. Fails when Load keeps
// the decoded file's pages (16 MiB more resident after Load), or holds
// them all at once while it checks them (its peak then is 16 MiB higher,
// where the process's peak can be reset: measured +1.9 MiB; 16 before).
func TestLoadLeavesPagesOut(t *testing.T) {
	const n = 4 << 20 // 16 MiB of weights
	p := samplePlan()
	big := make([]float32, n)
	for i := range big {
		big[i] = float32(i % 1013)
	}
	p.Blobs = append(p.Blobs, big)
	path := t.TempDir() + "/big.plan"
	if err := Save(path, p); err != nil {
		t.Fatal(err)
	}
	before := rss(t)
	// Writing 5 to clear_refs resets the peak (VmHWM) to the present set.
	peakReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	q, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	peak := statusBytes(t, "VmHWM:")
	defer q.Release()
	if !q.Mapped() {
		t.Skip("not mapped")
	}
	loaded := rss(t)
	var sum float64
	for i, v := range q.Blobs[len(q.Blobs)-1] {
		if v != big[i] {
			t.Fatalf("weight %d reads %v after Load, want %v", i, v, big[i])
		}
		sum += float64(v)
	}
	used := rss(t)
	q.Release()
	released := rss(t)
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	t.Logf("VmRSS: +%.1f MiB after Load, +%.1f after reading the weights, +%.1f after Release (sum %g)", mib(loaded-before), mib(used-before), mib(released-before), sum)
	if peakReset {
		t.Logf("VmHWM: +%.1f MiB while loading", mib(peak-before))
		if peak-before > 4<<20 {
			t.Errorf("Load peaked %.1f MiB above the resident set before it for %d MiB of weights: the checksum held the file's pages", mib(peak-before), 4*n>>20)
		}
	}
	if loaded-before > 4<<20 {
		t.Errorf("Load left %.1f MiB more resident for %d MiB of weights: the decoded pages stayed", mib(loaded-before), 4*n>>20)
	}
	if used-loaded < 8<<20 {
		t.Skipf("reading 16 MiB of mapped weights added only %.1f MiB to VmRSS: cannot tell", mib(used-loaded))
	}
	if used-released < 8<<20 {
		t.Errorf("Release left %.1f MiB of the weights resident", mib(16<<20-(used-released)))
	}
}
