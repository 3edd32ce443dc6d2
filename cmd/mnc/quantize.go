package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
	"github.com/mnc-go/mnc/quant"
)

func init() {
	commands["quantize"] = &command{name: "quantize", usage: "mnc quantize MODEL -o OUT.onnx [-calib FILE,...|-calib-random N] [-shape NAME=DIMS] [-per-channel=false] [-method percentile|minmax] [-format qdq|qop]", run: runQuantize}
}

// calibFlags are the calibration flags quantize and compile -int8 share.
type calibFlags struct {
	files    listFlag
	random   int
	perChan  bool
	method   string
	pct      float64
	preset   string
	ref      bool
	threads  int
	defaultN int // built-in inputs without -calib and -calib-random
	// shape (quantize's -shape) fixes the calibration inputs' symbolic
	// dimensions; the quantized model keeps them symbolic. compile -int8
	// has its own -shape, which fixes the model before calibration.
	shape shapeFlag
}

func (c *calibFlags) register(fs *flag.FlagSet) {
	fs.Var(&c.files, "calib", "calibration inputs: raw little-endian float32 files (each one or more inputs of the model's shape, batch 1), images ("+imageio.Formats+", preprocessed by -preset) or directories of them; repeat the flag or separate with commas")
	fs.IntVar(&c.random, "calib-random", 0, fmt.Sprintf("calibrate on N built-in inputs (seeded variants of the fixed input; default %d without -calib)", c.defaultN))
	fs.BoolVar(&c.perChan, "per-channel", true, "one int8 weight scale per output channel (-per-channel=false: one per tensor)")
	fs.StringVar(&c.method, "method", "percentile", "activation ranges: percentile (drop the extreme (100-P)/2 % on each side of each tensor's values) or minmax (smallest and largest value seen: ONNX Runtime's default)")
	fs.Float64Var(&c.pct, "percentile", 99.999, "P for -method percentile")
	fs.StringVar(&c.preset, "preset", "", "how -calib images become inputs: "+strings.Join(imageio.PresetNames(), ", ")+" (default torchvision)")
	fs.BoolVar(&c.ref, "reference", false, "calibrate on the reference executor instead of a compiled fp32 plan (slower)")
}

// options checks the flags.
func (c *calibFlags) options() (quant.Options, error) {
	m, err := quant.ParseMethod(c.method)
	if err != nil {
		return quant.Options{}, usagef("-method: %v", err)
	}
	if len(c.files) > 0 && c.random != 0 {
		return quant.Options{}, usagef("-calib and -calib-random are exclusive")
	}
	if c.random < 0 || c.random > 100000 {
		return quant.Options{}, usagef("-calib-random %d: want 1 to 100000 inputs", c.random)
	}
	if !(c.pct > 50 && c.pct <= 100) {
		return quant.Options{}, usagef("-percentile %g: want a value in (50, 100]", c.pct)
	}
	if c.preset != "" {
		if _, err := imageio.LookupPreset(c.preset); err != nil {
			return quant.Options{}, usagef("-preset: %v", err)
		}
	}
	return quant.Options{PerTensor: !c.perChan, Method: m, Percentile: c.pct, Reference: c.ref, Threads: c.threads}, nil
}

// samples reads the calibration inputs for g's one input, and describes them.
func (c *calibFlags) samples(g *ir.Graph) ([]*ir.Tensor, string, error) {
	if len(g.Inputs) != 1 {
		return nil, "", fmt.Errorf("model has %d inputs; quantize takes models with one input", len(g.Inputs))
	}
	in := g.Inputs[0]
	shape := in.Shape.Clone()
	if len(shape) > 0 && shape[0] < 0 {
		shape[0] = 1
	}
	if len(c.shape.vals) > 0 {
		set, err := c.shape.oneSet([]string{in.Name})
		if err != nil {
			return nil, "", err
		}
		dims := set[in.Name]
		if len(dims) != len(in.Shape) {
			return nil, "", usagef("-shape %s: input %q has rank %d %v", shapeArg{name: in.Name, dims: dims}, in.Name, len(in.Shape), in.Shape)
		}
		for i, d := range in.Shape {
			if d >= 0 && dims[i] != d && i > 0 {
				return nil, "", usagef("-shape %s: dimension %d of input %q is fixed at %d", shapeArg{name: in.Name, dims: dims}, i, in.Name, d)
			}
		}
		shape = ir.Shape(dims).Clone()
	}
	if len(c.files) == 0 {
		n := c.random
		if n == 0 {
			n = c.defaultN
		}
		if shape.Size() < 0 {
			return nil, "", fmt.Errorf("input %q has symbolic dimensions %v: give the calibration size with -shape %s=DIMS, or calibrate with -calib images, whose size fixes them", in.Name, in.Shape, in.Name)
		}
		// All of them are made at once: -calib-random 100000 of a
		// 224² input asked for 60 GB.
		if err := limits.Check(0, fmt.Sprintf("%d calibration inputs %v", n, shape), limits.Mul(int64(n), int64(shape.Size()), 4)); err != nil {
			return nil, "", err
		}
		return quant.BuiltinInputs(n, shape), fmt.Sprintf("%d built-in inputs", n), nil
	}
	files, err := expandCalib(c.files)
	if err != nil {
		return nil, "", err
	}
	var out []*ir.Tensor
	images := 0
	var total int64 // bytes of the inputs in out
	keep := func(f string, ts ...*ir.Tensor) error {
		for _, t := range ts {
			total = satAdd(total, limits.Mul(int64(len(t.Data)), 4))
		}
		if err := limits.Check(0, fmt.Sprintf("the calibration inputs up to -calib %s", f), total); err != nil {
			return err
		}
		out = append(out, ts...)
		return nil
	}
	for _, f := range files {
		if isImageFile(f) {
			img, err := imageio.Load(f)
			if err != nil {
				return nil, "", fmt.Errorf("-calib %s: %v", f, err)
			}
			preset := c.preset
			if preset == "" {
				preset = "torchvision"
			}
			t, err := imageio.Preprocess(img, preset, shape)
			if err != nil {
				return nil, "", fmt.Errorf("-calib %s: %v", f, err)
			}
			if err := keep(f, t); err != nil {
				return nil, "", err
			}
			images++
			continue
		}
		ts, err := readSamples(f, in.Name, shape)
		if err != nil {
			return nil, "", err
		}
		if err := keep(f, ts...); err != nil {
			return nil, "", err
		}
	}
	for i, t := range out {
		if !t.Shape.Equal(out[0].Shape) {
			return nil, "", fmt.Errorf("-calib: input %d has shape %v, input 0 has %v (give images of one size, or fix the model's size)", i, t.Shape, out[0].Shape)
		}
	}
	what := fmt.Sprintf("%d inputs from %d files", len(out), len(files))
	if images > 0 {
		what += fmt.Sprintf(" (%d images, preset %s)", images, orDefault(c.preset, "torchvision"))
	}
	return out, what, nil
}

// expandCalib replaces each directory among the -calib paths by its
// pictures and raw files (*.bin, *.raw, *.f32), in name order.
func expandCalib(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("-calib %s: %v", p, err)
		}
		n := 0
		for _, e := range ents {
			name := e.Name()
			ext := strings.ToLower(filepath.Ext(name))
			if e.Type().IsRegular() && (isImageFile(name) || ext == ".bin" || ext == ".raw" || ext == ".f32") {
				out = append(out, filepath.Join(p, name))
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("-calib %s: a directory with no pictures (%s) or raw float32 files (.bin, .raw, .f32)", p, imageio.Formats)
		}
	}
	return out, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func isImageFile(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff":
		return true
	}
	return false
}

// readSamples reads a raw float32 file holding one or more inputs of shape.
func readSamples(path, name string, shape ir.Shape) ([]*ir.Tensor, error) {
	if shape.Size() <= 0 {
		return nil, fmt.Errorf("-calib %s: input %q has symbolic dimensions %v: raw files need a fixed shape (use images)", path, name, shape)
	}
	per := int64(4 * shape.Size())
	// A pipe is read to its end (it was read to one byte past its
	// size, 0); a device is refused.
	b, err := limits.ReadFile(path, "-calib", 0)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || int64(len(b))%per != 0 {
		return nil, fmt.Errorf("-calib %s: %d bytes is not a whole number of inputs %q %v (%d bytes each)", path, len(b), name, shape, per)
	}
	var out []*ir.Tensor
	for off := 0; off < len(b); off += int(per) {
		t := ir.NewTensor(shape...)
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[off+4*i:]))
		}
		out = append(out, t)
	}
	return out, nil
}

// quantizeModel calibrates g and prints what it did and the accuracy cost.
func quantizeModel(g *ir.Graph, c *calibFlags, o quant.Options) (*ir.Graph, error) {
	xs, what, err := c.samples(g)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	q, st, err := quant.Quantize(g, xs, o)
	if err != nil {
		return nil, err
	}
	dt := time.Since(t0)
	wq := "per channel"
	if o.PerTensor {
		wq = "per tensor"
	}
	fmt.Fprintf(stdout, "calibrated on %s (%s) in %.2f s: %d activations uint8, %d weight tensors int8 (%s)\n", what, o.Method, dt.Seconds(), st.Activations, st.Weights, wq)
	fmt.Fprintf(stdout, "  quantized: %s", opCounts(st.Quantized))
	if st.Removed > 0 {
		fmt.Fprintf(stdout, "; %d Relu/Clip absorbed by the output ranges", st.Removed)
	}
	fmt.Fprintln(stdout)
	if len(st.Float) > 0 {
		fmt.Fprintf(stdout, "  left in float: %s\n", opCounts(st.Float))
	}
	if st.BiasClamped > 0 {
		fmt.Fprintf(stdout, "  warning: %d bias values do not fit int32 at scale xs·ws and were saturated\n", st.BiasClamped)
	}
	acc, err := quant.Evaluate(q, xs, st.FloatOutputs, c.threads)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "  accuracy vs the float model on the %d calibration inputs: %v\n", len(xs), acc)
	return q, nil
}

func opCounts(m map[ir.Op]int) string {
	var parts []string
	for op := ir.Op(0); op < 255; op++ {
		if n := m[op]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", op, n))
		}
	}
	return strings.Join(parts, ", ")
}

func runQuantize(args []string) error {
	fs := newFlags("quantize", commands["quantize"].usage)
	c := calibFlags{defaultN: 16}
	c.register(fs)
	fs.IntVar(&c.threads, "threads", 0, "threads for the calibration runs (0: every core)")
	fs.Var(&c.shape, "shape", "the calibration inputs' shape, NAME=DIMS like x=1x3x640x640 (NAME= may be left out): fixes a model's symbolic dimensions for -calib-random and raw -calib files, and the size -calib images are resized to; the quantized model keeps them symbolic")
	outPath := fs.String("o", "", "output ONNX `file` (required)")
	format := fs.String("format", "qdq", "qdq (QuantizeLinear/DequantizeLinear around float ops, as ONNX Runtime's QuantFormat.QDQ) or qop (QLinearConv, QLinearAdd, QGemm…: QuantFormat.QOperator)")
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *outPath == "" {
		return usagef("-o OUT.onnx is required")
	}
	if *format != "qdq" && *format != "qop" {
		return usagef("-format %q: want qdq or qop", *format)
	}
	o, err := c.options()
	if err != nil {
		return err
	}
	for _, f := range c.files {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("-calib %s: no such file", f)
		}
	}
	if _, err := os.Stat(spec); err != nil && looksLikePath(spec) {
		return fmt.Errorf("%s: no such file", spec)
	}
	g, err := loadModel(spec, false)
	if err != nil {
		return err
	}
	// The output is created first: a path that cannot be written fails
	// before the calibration runs.
	f, err := os.Create(*outPath)
	if err != nil {
		return err
	}
	q, err := quantizeModel(g, &c, o)
	if err == nil && *format == "qop" {
		q, err = quant.ToQOperator(q)
	}
	if err == nil {
		w := bufio.NewWriter(f)
		if err = onnx.Write(w, q); err == nil {
			err = w.Flush()
		} else {
			err = fmt.Errorf("writing %s: %v", *outPath, err)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*outPath)
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s, %d nodes, opset %d)\n", *outPath, strings.ToUpper(*format), len(q.Nodes), onnx.ExportOpset)
	return nil
}

// satAdd adds non-negative sizes, saturating at math.MaxInt64.
func satAdd(a, b int64) int64 {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}
