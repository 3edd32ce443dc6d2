package runtime

import (
	"errors"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// hasGeneric reports whether the executor's generic step has a case for op:
// asked without operands, the dense dispatch or genericFunc answers (or
// panics) some other way than errNoGeneric.
func hasGeneric(op ir.Op) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = true
		}
	}()
	s := &plan.Step{Kind: plan.KindGeneric, Op: op}
	if (&Executor{}).denseGeneric(s, nil, view{}) != nil {
		return true
	}
	_, err := genericFunc(s, nil, view{})
	return !errors.Is(err, errNoGeneric)
}

// The compiler emits every registered ir operator without a kernel as a
// generic step (passes.genericSupported): the runtime must have one for
// each, so a new op is added here, in ir and in the reference, not in a
// list of the compiler's.
func TestEveryOpHasGenericStep(t *testing.T) {
	ops := ir.Ops()
	if len(ops) < 40 {
		t.Fatalf("found only %d ir operators", len(ops))
	}
	for _, op := range ops {
		if !hasGeneric(op) {
			t.Errorf("ir operator %s has no generic step in the runtime", op)
		}
	}
	if hasGeneric(ir.Op(200)) {
		t.Error("an unregistered op counts as having a generic step")
	}
}
