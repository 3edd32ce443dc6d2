package reference

import (
	"math"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

func TestFixedInput(t *testing.T) {
	// (((i·2654435761) mod 2³²) >> 24 − 128)/128, computed independently.
	x := FixedInput(1, 2, 2)
	expect(t, "fixed", x, []int{1, 2, 2}, 0, -1, 0.234375, -0.53125, 0.703125)
	big := FixedInput(1, 3, 224, 224)
	i := 150527
	want := float32(int64((uint64(i)*2654435761)%(1<<32)>>24)-128) / 128
	if big.Data[i] != want {
		t.Errorf("FixedInput[%d] = %g, want %g", i, big.Data[i], want)
	}
}

func TestMaxAbsDiffAndClose(t *testing.T) {
	ref := tensorOf([]int{4}, 1, -4, 2, nan32)
	got := tensorOf([]int{4}, 1.01, -4, 2, nan32)
	d, m, err := MaxAbsDiff(got, ref)
	if err != nil || math.Abs(d-0.01) > 1e-6 || m != 4 {
		t.Errorf("MaxAbsDiff = %g, %g, %v; want 0.01, 4, nil", d, m, err)
	}
	if ok, msg := Close(got, ref, 0.003); !ok {
		t.Errorf("Close(rel 0.003) = false: %s", msg)
	}
	ok, msg := Close(got, ref, 0.002)
	if ok || !strings.Contains(msg, "index 0") || !strings.Contains(msg, "1.01") {
		t.Errorf("Close(rel 0.002) = %v %q, want a mismatch at index 0", ok, msg)
	}
	// One NaN is a mismatch whatever the tolerance.
	oneNaN := tensorOf([]int{4}, 1, -4, nan32, nan32)
	if ok, msg := Close(oneNaN, ref, 1e9); ok || !strings.Contains(msg, "index 2") {
		t.Errorf("NaN vs 2: Close = %v %q, want a mismatch at index 2", ok, msg)
	}
	if d, _, _ := MaxAbsDiff(oneNaN, ref); !math.IsInf(d, 1) {
		t.Errorf("MaxAbsDiff with one NaN = %g, want +Inf", d)
	}
	if _, _, err := MaxAbsDiff(ir.NewTensor(2, 2), ir.NewTensor(4)); err == nil {
		t.Error("MaxAbsDiff of different shapes: no error")
	}
	if ok, _ := Close(ir.NewTensor(2, 2), ir.NewTensor(4), 1); ok {
		t.Error("Close of different shapes = true")
	}
	inf := float32(math.Inf(1))
	if ok, msg := Close(tensorOf([]int{2}, inf, 1), tensorOf([]int{2}, inf, 1), 0); !ok {
		t.Errorf("equal infinities: %s", msg)
	}
	if ok, _ := Close(tensorOf([]int{2}, -inf, 1), tensorOf([]int{2}, inf, 1), 1e9); ok {
		t.Error("opposite infinities compare close")
	}
}
