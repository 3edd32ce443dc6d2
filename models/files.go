package models

import (
	"embed"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
)

// descFiles are the standard models as description files: the same graphs
// the Go builders make (a test holds them to identical Dump text).
//
//go:embed *.mnc
var descFiles embed.FS

// DescFiles returns the names of the embedded description files.
func DescFiles() []string {
	ents, _ := descFiles.ReadDir(".")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// DescFile returns an embedded description file's text.
func DescFile(name string) (string, error) {
	b, err := descFiles.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("no embedded description %q (have %s)", name, strings.Join(DescFiles(), ", "))
	}
	return string(b), nil
}

// LoadDesc builds a description (file name for errors, text r) the way
// BuildSpec builds a built-in model: with NoWeights zero constants, otherwise
// seeded random weights and BatchNorm statistics calibrated at the model's
// input size (description files may hold any architecture, so there is no
// cheaper resolution known to be safe); a description with several outputs
// (ssdhead rows) is calibrated like the built-in detector.
func LoadDesc(name string, r io.Reader, opts BuildOptions) (*ir.Graph, error) {
	d, err := frontend.ParseDesc(path.Base(name), r)
	if err != nil {
		return nil, err
	}
	w := frontend.RandomWeights
	if opts.NoWeights {
		w = frontend.ZeroWeights
	} else {
		// A build without weight data costs no time: it checks the weights
		// and activations against the memory budget before seconds are
		// spent drawing random numbers.
		z, err := d.Build(frontend.ShapesOnly)
		if err != nil {
			return nil, err
		}
		if err := checkActivations(z, name+": calibrating"); err != nil {
			return nil, err
		}
	}
	g, err := d.Build(w)
	if err != nil || opts.NoWeights {
		return g, err
	}
	if err := checkActivations(g, name+": calibrating"); err != nil {
		return nil, err
	}
	// A detector's last maps are 1×1 to 3×3: calibrate them as the
	// built-in detector is (pooled statistics, see calibrate).
	// So is a conv on the pooled map (V4's head): one value per channel.
	minSamples := 0
	if len(g.Outputs) > 1 || convAfterPool(d) {
		minSamples = detectorMinSamples
	}
	if err := calibrate(g, d.Input[1], minSamples); err != nil {
		return nil, fmt.Errorf("%s: calibrating: %w", name, err)
	}
	return g, nil
}

// LoadFile reads a description file (*.mnc) like LoadDesc.
func LoadFile(file string, opts BuildOptions) (*ir.Graph, error) {
	f, err := limits.Open(file, "description file")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadDesc(file, f, opts)
}

// convAfterPool reports whether a description has conv rows on the pooled
// map (MobileNetV4's head).
func convAfterPool(d *frontend.Desc) bool {
	pooled := false
	for _, r := range d.Rows {
		switch {
		case r.Kind == "pool":
			pooled = true
		case r.Kind == "conv" && pooled:
			return true
		}
	}
	return false
}
