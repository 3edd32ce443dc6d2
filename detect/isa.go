package detect

import (
	"fmt"
	"os"
	"strings"

	"github.com/mnc-go/mnc/kernels"
)

// selectISA is the kernels' instruction set for the softmax: MNC_ISA when
// set (as runtime.SelectISA reads it), else the best the machine has.
func selectISA() (kernels.ISA, error) {
	env := os.Getenv("MNC_ISA")
	if env == "" || strings.EqualFold(env, "auto") {
		return kernels.Best(), nil
	}
	isa, err := kernels.ParseISA(env)
	if err != nil {
		return 0, fmt.Errorf("detect: MNC_ISA: %w", err)
	}
	if !kernels.Supported(isa) {
		return 0, fmt.Errorf("detect: MNC_ISA %s is not available on this machine", isa)
	}
	return isa, nil
}

// SetISA makes d compute its softmax with isa's kernels.
func (d *Detector) SetISA(isa kernels.ISA) error {
	ks, err := kernels.ForISA(isa)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	d.kernels = ks
	return nil
}
