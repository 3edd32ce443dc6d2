package runtime

import (
	"fmt"
	"os"
	"strings"

	"github.com/mnc-go/mnc/kernels"
)

// SelectISA resolves an ISA name: "" or "auto" means the MNC_ISA
// environment variable when set, else the best the machine has; an explicit
// name is honoured or refused with an error saying what is available.
func SelectISA(name string) (kernels.ISA, error) {
	from := "requested"
	if name == "" || strings.EqualFold(name, "auto") {
		env := os.Getenv("MNC_ISA")
		if env == "" || strings.EqualFold(env, "auto") {
			return kernels.Best(), nil
		}
		name, from = env, "MNC_ISA"
	}
	isa, err := kernels.ParseISA(name)
	if err != nil {
		return 0, fmt.Errorf("%s ISA: %w", from, err)
	}
	if !kernels.Supported(isa) {
		return 0, fmt.Errorf("%s ISA %s is not available on this machine (available: %s)", from, isa, availableList())
	}
	return isa, nil
}

func availableList() string {
	var s []string
	for _, i := range kernels.Available() {
		s = append(s, i.String())
	}
	return strings.Join(s, ", ")
}
