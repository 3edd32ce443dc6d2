package main

import (
	"encoding/json"
	"testing"
)

// TestBenchModeImages: -mode images measures the throughput mode against
// splitting every step (both images/s reported, the mode's as the
// headline), with barriers counted; on a model it compiles twice (batch 2
// and batch 1). A bad -mode is a usage error.
func TestBenchModeImages(t *testing.T) {
	code, out, errs := cli(t, "bench", "-json", "-runs", "3", "-warmup", "1", "-threads", "2", "-batch", "2", "-mode", "images", "mobilenet_v3_small:res=64")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r benchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Mode != "images" || r.SplitImgPerS <= 0 || r.ImagesImgPerS <= 0 || r.ImagesPerSec != r.ImagesImgPerS {
		t.Errorf("mode %q, split %g images/s, images %g images/s, headline %g", r.Mode, r.SplitImgPerS, r.ImagesImgPerS, r.ImagesPerSec)
	}
	if r.Barriers <= 0 || r.Barriers > r.Steps {
		t.Errorf("%d barriers for %d steps", r.Barriers, r.Steps)
	}
	if code, _, errs := cli(t, "bench", "-mode", "fast", "mobilenet_v3_small:res=32"); code != 2 || errs == "" {
		t.Errorf("-mode fast: exit %d, %q", code, errs)
	}
}
