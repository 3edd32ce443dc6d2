package main

import (
	"flag"
	"fmt"
	"image"
	"strings"

	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
)

// listFlag collects a repeatable flag whose values may also be separated
// by commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// imageFlags are run's and bench's -image and -preset.
type imageFlags struct {
	files  listFlag
	preset string
}

func (f *imageFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.files, "image", "an image file ("+imageio.Formats+") as the input, preprocessed by -preset; repeat the flag (or separate with commas) to run several images as one batch")
	fs.StringVar(&f.preset, "preset", "", "how -image files become the input: "+strings.Join(imageio.PresetNames(), ", ")+" (default torchvision; timm:crop=F sets timm's crop_pct, 0.875 by default; see the README for each one's steps)")
}

// check validates the flags before anything is loaded.
func (f *imageFlags) check(input string) error {
	if len(f.files) == 0 {
		if f.preset != "" {
			return usagef("-preset applies to -image files, and no -image was given")
		}
		return nil
	}
	if input != "" {
		return usagef("-input and -image are exclusive")
	}
	if f.preset == "" {
		f.preset = "torchvision"
	}
	if _, err := imageio.LookupPreset(f.preset); err != nil {
		return usagef("-preset: %v", err)
	}
	return nil
}

// input decodes the images and preprocesses them for m's one input; it
// returns the tensor (batch = the number of images) and the shape set with
// that input fixed to the tensor's shape (for a fully fixed model input
// only the batch may differ: it sets cf.batch). It returns nil without
// -image.
func (f *imageFlags) input(m *model, cf *compileFlags, set map[string][]int) (*ir.Tensor, map[string][]int, error) {
	if len(f.files) == 0 {
		return nil, set, nil
	}
	var name string
	var declared ir.Shape
	if m.g != nil {
		if len(m.g.Inputs) != 1 {
			return nil, nil, fmt.Errorf("-image: the model has %d inputs; images feed a model with one", len(m.g.Inputs))
		}
		name, declared = m.g.Inputs[0].Name, m.g.Inputs[0].Shape
	} else {
		if len(m.p.Inputs) != 1 {
			return nil, nil, fmt.Errorf("-image: the plan has %d inputs; images feed a model with one", len(m.p.Inputs))
		}
		name, declared = m.p.Inputs[0].Name, m.p.Inputs[0].Buf.Shape
	}
	n := len(f.files)
	if cf.batch > 0 && cf.batch != n {
		return nil, nil, usagef("-batch %d, but %d -image files (the images are the batch)", cf.batch, n)
	}
	shape := declared.Clone()
	given := false
	if s, ok := set[name]; ok {
		shape, given = ir.Shape(s).Clone(), true
	}
	if len(shape) == 4 && !given {
		shape[0] = -1
	}
	imgs := make([]image.Image, n)
	var total int64 // the decoded pictures, held together for the batch
	for i, file := range f.files {
		img, err := imageio.Load(file)
		if err != nil {
			return nil, nil, fmt.Errorf("-image: %v", err)
		}
		b := img.Bounds()
		total += limits.Mul(imageio.ImageBytesPerPixel(img.ColorModel()), int64(b.Dx()), int64(b.Dy()))
		if err := limits.Check(0, fmt.Sprintf("-image: the %d pictures up to %s", i+1, file), total); err != nil {
			return nil, nil, err
		}
		imgs[i] = img
	}
	t, err := imageio.PreprocessBatch(imgs, f.preset, shape)
	if err != nil {
		return nil, nil, fmt.Errorf("-image: input %q: %v", name, err)
	}
	if m.p != nil {
		if !m.p.Inputs[0].Buf.Shape.Equal(t.Shape) {
			return nil, nil, fmt.Errorf("-image: %s was compiled for input %q %v; the images make %v (compile the model for it, or run the model itself)", m.spec, name, declared, t.Shape)
		}
		return t, set, nil
	}
	symbolic := false
	for _, d := range declared {
		symbolic = symbolic || d < 0
	}
	out := map[string][]int{}
	for k, v := range set {
		out[k] = v
	}
	switch {
	case symbolic || given:
		out[name] = t.Shape
	case len(declared) == 4 && declared[0] != n:
		cf.batch = n
	}
	return t, out, nil
}
