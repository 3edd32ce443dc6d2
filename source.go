package mnc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/plan"
)

// A model or plan given as a pipe (mnc run <(cat x.plan), /dev/stdin) can
// be read only once, and mnc reads it twice: to tell a plan from a model by
// its first bytes, then to load it. So a file that is not a regular one is
// read whole (within the memory budget) at the first look, and the bytes
// are kept here for the load.
var piped sync.Map // path → []byte

// pipedBytes returns path's bytes when path is not a regular file (read once
// and kept), or ok false for a regular file or a path that does not exist.
func pipedBytes(path string) (b []byte, ok bool, err error) {
	if v, found := piped.Load(path); found {
		return v.([]byte), true, nil
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().IsRegular() {
		return nil, false, nil
	}
	if st.IsDir() {
		return nil, false, nil
	}
	b, err = limits.ReadFile(path, "model file", 0)
	if err != nil {
		return nil, true, err
	}
	piped.Store(path, b)
	return b, true, nil
}

// loadPiped loads a model given as a pipe: a description file when its
// first word is "model" (after comments), else ONNX (no external data:
// there is no directory to read it from).
func loadPiped(path string, b []byte, noWeights bool) (*ir.Graph, error) {
	if bytes.HasPrefix(b, []byte(plan.Magic)) {
		return nil, fmt.Errorf("%s is a compiled plan, not a model (plans can be run and benchmarked)", path)
	}
	if looksLikeDesc(b) {
		return models.LoadDesc(path, bytes.NewReader(b), models.BuildOptions{NoWeights: noWeights})
	}
	m, err := onnx.Parse(path, b, "")
	if err != nil {
		return nil, fmt.Errorf("%w (and not a description file: its first line is not \"model NAME\")", err)
	}
	return m.Lazy()
}

// looksLikeDesc reports whether b starts like a description file: blank
// and comment lines, then "model".
func looksLikeDesc(b []byte) bool {
	for _, line := range strings.SplitN(string(b[:min(len(b), 4096)]), "\n", 64) {
		text, _, _ := strings.Cut(line, "#")
		if f := strings.Fields(text); len(f) > 0 {
			return strings.EqualFold(f[0], "model")
		}
	}
	return false
}

// isPlanBytes reports whether b starts with the plan magic.
func isPlanBytes(b []byte) bool { return bytes.HasPrefix(b, []byte(plan.Magic)) }

// loadPlanFile reads a plan file, or a pipe's kept bytes.
func loadPlanFile(path string) (*plan.Plan, error) {
	b, ok, err := pipedBytes(path)
	if err != nil {
		return nil, err
	}
	if !ok {
		return plan.Load(path)
	}
	p, err := plan.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return p, nil
}
