package main

import (
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/go-fonts/liberation/liberationmonobold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/plan"
)

// childPeakRSS runs this test binary as the mnc command (see TestMain) with
// args and returns the child's peak resident set in bytes (its VmHWM).
func childPeakRSS(t *testing.T, args ...string) int64 {
	t.Helper()
	f := filepath.Join(t.TempDir(), "rss")
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runAsMNC+"="+f)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mnc %v: %v\n%s", args, err, out)
	}
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n == 0 {
		t.Skipf("no peak RSS (%q)", b)
	}
	return n
}

// TestRunPlanRSS: `mnc run -threads 1 PLAN` of MobileNetV2 at 224² peaks
// at no more than what the plan needs — its file (mapped, weights used in
// place), arena, scratch and input — plus 3.5 MiB for the code, tables and
// runtime the run touches (issue 15 asks for 20 MiB in all: 15.9 MiB of
// need and 4.1 of the rest); and the fused plan peaks lower than the
// unfused one by at least half the arena it saves. A plan read into the
// heap instead of mapped, an arena sized for the unfused tensors, a
// scratch per block instead of per thread, or the pages of loading
// (decoding the plan, its CRC over every weight, the code that parsed the
// flags) still resident when the run peaks, or code mapped back 64 KiB
// at a time (not split into pages: +2.1 MiB) fails.
func TestRunPlanRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles MobileNetV2 at 224² twice")
	}
	g, err := models.Build("mobilenet_v2")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	type variant struct {
		path  string
		need  int64 // file + arena + scratch + input, bytes
		arena int64
	}
	var vs []variant
	for _, disable := range [][]string{nil, {"fuse-blocks"}} {
		p, _, err := mnc.Compile(g.Clone(), mnc.Options{Level: 2, Batch: 1, Disable: disable})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "v2.plan")
		if disable != nil {
			path = filepath.Join(dir, "v2-unfused.plan")
		}
		if err := plan.Save(path, p); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		arena := int64(p.ArenaSize) * 4
		in := int64(p.Inputs[0].Buf.Size()) * 4
		vs = append(vs, variant{path, st.Size() + arena + int64(p.MaxScratch())*4 + in, arena})
	}
	fused := childPeakRSS(t, "run", "-threads", "1", vs[0].path)
	unfused := childPeakRSS(t, "run", "-threads", "1", vs[1].path)
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	t.Logf("peak RSS: run fused plan %.1f MiB (needs %.1f), unfused %.1f MiB (needs %.1f)",
		mib(fused), mib(vs[0].need), mib(unfused), mib(vs[1].need))
	// Measured 2.3-2.5 MiB over the need here (this test binary is larger
	// than mnc; mnc itself: 2.1-2.4), 3.9 before the code was split into
	// pages (releaseLeanPages), 7.3 before the run dropped the pages of
	// loading.
	const margin = 7 << 19
	if fused > vs[0].need+margin {
		t.Errorf("mnc run of the fused plan peaked at %.1f MiB, above the plan's %.1f MiB + %.1f MiB", mib(fused), mib(vs[0].need), mib(margin))
	}
	if saved := vs[1].arena - vs[0].arena; unfused-fused < saved/2 {
		t.Errorf("the fused plan's peak RSS is only %.1f MiB below the unfused plan's; its arena is %.1f MiB smaller", mib(unfused-fused), mib(saved))
	}
}

// vmRSS is this process's resident set (VmRSS) in bytes.
func vmRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			if f := strings.Fields(v); len(f) == 2 {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return n << 10
				}
			}
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestReleaseStartupPages: releasing the executable's startup pages shrinks
// the resident set by megabytes (this test binary's code and the fonts
// gonum/plot parsed), and the fonts read back unchanged afterwards (the
// pages come back from the file).
func TestReleaseStartupPages(t *testing.T) {
	sum := func() uint64 {
		h := fnv.New64a()
		h.Write(liberationsansregular.TTF)
		h.Write(liberationmonobold.TTF)
		return h.Sum64()
	}
	want := sum()
	before := vmRSS(t)
	releaseStartupPages()
	after := vmRSS(t)
	t.Logf("VmRSS %.1f -> %.1f MiB", float64(before)/(1<<20), float64(after)/(1<<20))
	if before-after < 1<<20 {
		t.Errorf("releasing startup pages freed %.2f MiB, want at least 1", float64(before-after)/(1<<20))
	}
	if got := sum(); got != want {
		t.Fatal("the fonts' bytes changed after their pages were released")
	}
}

// TestRunFromScratchRSS: `mnc run -threads 1 mobilenet_v2` (build the
// model, compile it, run it) peaks at no more than twice its packed
// weights plus its arena and 1.5 MiB (issue 15 asks for twice the weights
// plus the arena). Fails when loading's garbage and code stay resident
// through the compile, or the compile grows the heap by a quarter before
// collecting, or pack-weights holds a large weight and its packed copy
// at once, or the compile maps code back 64 KiB at a time (this test
// binary: 36.0 MiB before compileLean, 30.3-31.6 after it, 28.8-29.5 with
// packGemmRows, 28.0 building at 10%, 26.5-28.5 with the code split into
// pages; mnc itself 26408-27816 KiB).
func TestRunFromScratchRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and compiles MobileNetV2 at 224²")
	}
	g, err := models.Build("mobilenet_v2")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := mnc.Compile(g, mnc.Options{Level: 2, Batch: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	w, arena := weightsBytes(p), int64(p.ArenaSize)*4
	peak := childPeakRSS(t, "run", "-threads", "1", "mobilenet_v2")
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	t.Logf("peak RSS of mnc run mobilenet_v2: %.1f MiB; weights %.1f MiB, arena %.1f MiB: 2×weights+arena = %.1f MiB",
		mib(peak), mib(w), mib(arena), mib(2*w+arena))
	if peak > 2*w+arena+3<<19 {
		t.Errorf("mnc run mobilenet_v2 peaked at %.1f MiB, above twice the weights plus the arena (%.1f MiB) + 1.5 MiB", mib(peak), mib(2*w+arena))
	}
}
