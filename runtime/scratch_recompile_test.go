package runtime_test

import (
	"strings"
	"testing"

	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/runtime"
)

// TestShortConvScratchSaysRecompile: a plan file whose dense conv
// reserves less scratch than this build's kernel needs (every plan file
// compiled before the amd64 implicit-GEMM conv, 6dd7c99, whose scratch
// also holds the edge pixels' outputs: same format version, same packing)
// is refused by New with one line that says to recompile the model.
func TestShortConvScratchSaysRecompile(t *testing.T) {
	g := buildModel(t, "mobilenet_v1_conv:res=96,alpha=0.25,classes=10")
	set := mustSet(t)
	p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: 1}, set)
	if err != nil {
		t.Fatal(err)
	}
	var conv *plan.Step
	for i := range p.Steps {
		if s := &p.Steps[i]; s.Kind == plan.KindConv && s.WShape[1] >= 8 && s.WShape[2] > 1 {
			conv = s
			break
		}
	}
	if conv == nil {
		t.Fatal("no dense conv on 8 or more channels")
	}
	cp, err := plan.ConvParams(conv)
	if err != nil {
		t.Fatal(err)
	}
	conv.Scratch = set.ConvScratchSize(&cp, cp.OH) - 16
	_, err = runtime.New(p, runtime.Options{Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "recompile the model") || strings.Contains(err.Error(), "\n") {
		t.Errorf("New: %v, want one line saying to recompile the model", err)
	}
}
