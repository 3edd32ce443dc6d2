package runtime_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// TestSharedExecutor: one Executor called from two goroutines at once
// (issue 11: data races, then a deadlock) either runs the call, with the
// right result, or refuses it with an error at once; run it with -race.
// A Run after Close is an error too.
func TestSharedExecutor(t *testing.T) {
	g, err := models.Build("mobilenet_v3_small:res=32,alpha=0.5")
	if err != nil {
		t.Fatal(err)
	}
	p := compile(t, g, config{level: 2, threads: 2, batch: 1, isa: kernels.Best()})
	e, err := runtime.New(p, runtime.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	in := reference.FixedInput(p.Inputs[0].Buf.Shape...)
	want := e.NewOutputs()
	if err := e.Run([]*ir.Tensor{in}, want); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran, refused := 0, 0
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := e.NewOutputs()
			for i := 0; i < 40; i++ {
				err := e.Run([]*ir.Tensor{in}, out)
				mu.Lock()
				switch {
				case err == nil:
					ran++
					for k, v := range out[0].Data {
						if v != want[0].Data[k] {
							t.Errorf("run %d: output %d is %g, want %g", i, k, v, want[0].Data[k])
							break
						}
					}
				case strings.Contains(err.Error(), "while another Run of the same Executor is in progress"):
					refused++
				default:
					t.Errorf("run %d: %v", i, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d runs, %d refused", ran, refused)
	if ran == 0 {
		t.Error("no run succeeded")
	}
	e.Close()
	if err := e.Run([]*ir.Tensor{in}, want); err == nil || !strings.Contains(err.Error(), "after Close") {
		t.Errorf("Run after Close: %v", err)
	}
}
