package runtime_test

import (
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
)

// modelSpecs are the models the default tests compile, at resolutions where
// their calibrated random weights are well conditioned. (Below the
// calibration resolution the last stages' BatchNorm statistics come from
// 2×2 maps and amplify float32 rounding past any fixed tolerance, e.g.
// V2 at 64: a relative error of 2e-2 from a single accumulation-order
// change — a property of the test model, not of the compiler.)
var modelSpecs = []string{
	"mobilenet_v1:res=96,alpha=0.5,classes=10",
	"mobilenet_v2:res=128,classes=10",
	"mobilenet_v3_large:res=96,alpha=0.5,classes=10",
	"mobilenet_v3_small:res=96,alpha=0.5,classes=10",
	"mobilenet_v1_conv:res=96,alpha=0.25,classes=10",
}

var fullSpecs = []string{"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"}

// TestModelsMatchReference: every model, compiled at -O0 and -O2 for every
// available ISA, run on 1 and 2 threads with batch 1 and 3, matches the
// reference interpreter within 1e-4·max|ref|. The full 224² models run
// too unless -short (batch 1 every way, batch 3 at -O2 on the best ISA, to
// keep the reference interpreter's time down). -short also runs fewer
// combinations of the small models (shortModelConfigs).
func TestModelsMatchReference(t *testing.T) {
	cs := configs()
	if testing.Short() {
		cs = shortModelConfigs()
	}
	for _, spec := range modelSpecs {
		t.Run(spec, func(t *testing.T) {
			g, err := models.Build(spec)
			if err != nil {
				t.Fatal(err)
			}
			checkGraph(t, g, cs)
		})
	}
	if testing.Short() {
		t.Log("full-size models skipped in -short mode")
		return
	}
	for _, spec := range fullSpecs {
		t.Run(spec, func(t *testing.T) {
			g, err := models.Build(spec)
			if err != nil {
				t.Fatal(err)
			}
			// Batch 1 every way; batch 3 once (the reference costs 3×).
			cs := []config{{level: 2, threads: 2, batch: 3, isa: kernels.Best()}}
			for _, c := range configs() {
				if c.batch == 1 {
					cs = append(cs, c)
				}
			}
			checkGraph(t, g, cs)
		})
	}
}

// shortModelConfigs is the -short subset of configs for whole models, so
// that the suite stays fast under qemu emulation (.ci/arm64.sh), where the
// reference interpreter dominates: per ISA, batch 1 only (one reference
// run per model), the unfused plan on one thread and the fused plan on
// two. Batch 3 still runs every way on the small graphs of
// TestSingleOps and TestRandomGraphs, and on whole models without -short.
func shortModelConfigs() []config {
	var cs []config
	for _, isa := range kernels.Available() {
		cs = append(cs, config{0, 1, 1, isa}, config{2, 2, 1, isa})
	}
	return cs
}
