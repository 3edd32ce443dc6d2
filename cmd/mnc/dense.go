package main

import (
	"encoding/json"
	"fmt"
	"image"
	"time"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/dense"
	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

func init() {
	commands["textdet"] = &command{name: "textdet", usage: "mnc textdet -image FILE [-o OUT.png] [-json] [-thresh T] [-box-thresh B] [-unclip R] [-threads N] [-O0|-O2] [-isa ISA] [-shape NAME=DIMS] MODEL|PLAN", run: runTextdet}
	commands["segment"] = &command{name: "segment", usage: "mnc segment -image FILE [-o OUT.png] [-json] [-preset P] [-alpha A] [-threads N] [-O0|-O2] [-isa ISA] [-shape NAME=DIMS] MODEL|PLAN", run: runSegment}
}

// denseRun is what textdet and segment share: the picture, preprocessed
// for the model's one input (a symbolic H or W takes the picture's size,
// as the preset sizes it), the plan compiled for that shape, and one run.
type denseRun struct {
	img      image.Image
	p        *plan.Plan
	in       []int
	outs     []*ir.Tensor
	threads  int
	net, pre time.Duration
}

func runDense(spec, imageFile, preset string, cf *compileFlags, threads int) (*denseRun, error) {
	t0 := time.Now()
	img, err := imageio.Load(imageFile)
	if err != nil {
		return nil, err
	}
	m, err := openModel(spec, cf)
	if err != nil {
		return nil, err
	}
	set, err := cf.shapes.oneSet(m.inputs())
	if err != nil {
		return nil, err
	}
	var name string
	var declared ir.Shape
	if m.g != nil {
		if len(m.g.Inputs) != 1 {
			return nil, fmt.Errorf("%s: the model has %d inputs; an image feeds a model with one", spec, len(m.g.Inputs))
		}
		name, declared = m.g.Inputs[0].Name, m.g.Inputs[0].Shape
	} else {
		if len(m.p.Inputs) != 1 {
			return nil, fmt.Errorf("%s: the plan has %d inputs; an image feeds a model with one", spec, len(m.p.Inputs))
		}
		name, declared = m.p.Inputs[0].Name, m.p.Inputs[0].Buf.Shape
	}
	shape := declared.Clone()
	if s, ok := set[name]; ok {
		shape = ir.Shape(s).Clone()
	}
	if len(shape) != 4 || shape[1] != 3 {
		return nil, fmt.Errorf("%s: input %q %v is not an NCHW RGB image", spec, name, shape)
	}
	shape[0] = 1
	x, err := imageio.Preprocess(img, preset, shape)
	if err != nil {
		return nil, fmt.Errorf("%s: input %q: %v", imageFile, name, err)
	}
	if set == nil {
		set = map[string][]int{}
	}
	set[name] = x.Shape
	p, err := m.plan(cf, set, "")
	if err != nil {
		return nil, err
	}
	e, err := mnc.NewExecutor(p, threads)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	r := &denseRun{img: img, p: p, in: x.Shape, outs: e.NewOutputs(), threads: e.Threads(), pre: time.Since(t0)}
	t1 := time.Now()
	if err := e.Run([]*ir.Tensor{x}, r.outs); err != nil {
		return nil, err
	}
	r.net = time.Since(t1)
	return r, nil
}

type textdetJSON struct {
	Model     string        `json:"model"`
	Image     string        `json:"image"`
	Width     int           `json:"width"`
	Height    int           `json:"height"`
	Input     []int         `json:"input_shape"`
	Boxes     []textBoxJSON `json:"boxes"`
	NetworkMS float64       `json:"network_ms"`
	PostMS    float64       `json:"postprocess_ms"`
}

type textBoxJSON struct {
	Points [4][2]float64 `json:"points"` // top-left, top-right, bottom-right, bottom-left, image pixels
	Score  float64       `json:"score"`
}

func runTextdet(args []string) error {
	fs := newFlags("textdet", commands["textdet"].usage)
	var cf compileFlags
	cf.register(fs)
	imageFile := fs.String("image", "", "the picture ("+imageio.Formats+")")
	outFile := fs.String("o", "", "write the picture with the text boxes drawn to this PNG file")
	asJSON := fs.Bool("json", false, "print the boxes and times as JSON")
	d := dense.DefaultDB()
	fs.Float64Var(&d.Thresh, "thresh", d.Thresh, "a pixel is text when its probability exceeds this")
	fs.Float64Var(&d.BoxThresh, "box-thresh", d.BoxThresh, "keep a region when the mean probability in its box reaches this")
	fs.Float64Var(&d.UnclipRatio, "unclip", d.UnclipRatio, "grow each box by area·ratio/perimeter")
	threads := &cf.threads
	fs.IntVar(threads, "threads", 0, "threads (default: all cores)")
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *imageFile == "":
		return usagef("-image FILE is required")
	case *threads < 0:
		return usagef("-threads %d: must be positive", *threads)
	case !(d.Thresh >= 0 && d.Thresh < 1) || !(d.BoxThresh >= 0 && d.BoxThresh <= 1):
		return usagef("-thresh %g and -box-thresh %g: want probabilities", d.Thresh, d.BoxThresh)
	case !(d.UnclipRatio >= 0 && d.UnclipRatio <= 100):
		return usagef("-unclip %g: want a ratio in [0, 100]", d.UnclipRatio)
	}
	r, err := runDense(spec, *imageFile, "paddle", &cf, *threads)
	if err != nil {
		return err
	}
	o := r.p.Outputs[0].Buf.Shape
	if len(o) != 4 || o[0] != 1 || o[1] != 1 {
		return fmt.Errorf("%s: output %q %v is not a DB probability map [1, 1, H, W]", spec, r.p.Outputs[0].Name, o)
	}
	t0 := time.Now()
	b := r.img.Bounds()
	boxes, err := dense.DetectText(r.outs[0].Data, o[2], o[3], b.Dx(), b.Dy(), d)
	if err != nil {
		return err
	}
	post := time.Since(t0)
	if *outFile != "" {
		if err := imageio.SavePNG(*outFile, dense.DrawTextBoxes(r.img, boxes)); err != nil {
			return err
		}
	}
	js := textdetJSON{Model: spec, Image: *imageFile, Width: b.Dx(), Height: b.Dy(), Input: r.in, Boxes: []textBoxJSON{},
		NetworkMS: msec(r.net), PostMS: msec(post)}
	for _, bx := range boxes {
		var j textBoxJSON
		for k, p := range bx.Points {
			j.Points[k] = [2]float64{p.X, p.Y}
		}
		j.Score = bx.Score
		js.Boxes = append(js.Boxes, j)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(js)
	}
	fmt.Fprintf(stdout, "%s: %d×%d, input %v; %d text boxes\n", *imageFile, b.Dx(), b.Dy(), r.in, len(boxes))
	for _, j := range js.Boxes {
		p := j.Points
		fmt.Fprintf(stdout, "  %.3f  (%g,%g) (%g,%g) (%g,%g) (%g,%g)\n", j.Score, p[0][0], p[0][1], p[1][0], p[1][1], p[2][0], p[2][1], p[3][0], p[3][1])
	}
	if *outFile != "" {
		fmt.Fprintf(stdout, "wrote %s\n", *outFile)
	}
	fmt.Fprintf(stdout, "time: network %.3f ms (isa %s, %d threads, first run), post-processing %.3f ms\n", msec(r.net), r.p.ISA, r.threads, msec(post))
	return nil
}

type segmentJSON struct {
	Model     string       `json:"model"`
	Image     string       `json:"image"`
	Width     int          `json:"width"`
	Height    int          `json:"height"`
	Input     []int        `json:"input_shape"`
	Classes   int          `json:"classes"`
	Pixels    []classCount `json:"pixels"` // classes present in the map, most pixels first
	NetworkMS float64      `json:"network_ms"`
	PostMS    float64      `json:"postprocess_ms"`
}

type classCount struct {
	Class  int     `json:"class"`
	Pixels int     `json:"pixels"`
	Share  float64 `json:"share"`
}

func runSegment(args []string) error {
	fs := newFlags("segment", commands["segment"].usage)
	var cf compileFlags
	cf.register(fs)
	imageFile := fs.String("image", "", "the picture ("+imageio.Formats+")")
	outFile := fs.String("o", "", "write the picture with the class map overlaid to this PNG file")
	asJSON := fs.Bool("json", false, "print the classes found and times as JSON")
	preset := fs.String("preset", "imagenet", "how the picture becomes the input (see mnc run -h)")
	alpha := fs.Float64("alpha", 0.5, "opacity of the class colours")
	threads := &cf.threads
	fs.IntVar(threads, "threads", 0, "threads (default: all cores)")
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *imageFile == "":
		return usagef("-image FILE is required")
	case *threads < 0:
		return usagef("-threads %d: must be positive", *threads)
	case !(*alpha >= 0 && *alpha <= 1):
		return usagef("-alpha %g: want an opacity in [0, 1]", *alpha)
	}
	if _, err := imageio.LookupPreset(*preset); err != nil {
		return usagef("-preset: %v", err)
	}
	r, err := runDense(spec, *imageFile, *preset, &cf, *threads)
	if err != nil {
		return err
	}
	o := r.p.Outputs[0].Buf.Shape
	t0 := time.Now()
	var cm *dense.ClassMap
	if classes, ok := argMaxClasses(r.p); ok && (len(o) == 3 && o[0] == 1 || len(o) == 4 && o[0] == 1 && o[1] == 1) {
		// The graph ends in ArgMax over the classes: its output is the class map.
		cm, err = dense.ClassMapOf(r.outs[0].Data, classes, o[len(o)-2], o[len(o)-1])
	} else if len(o) == 4 && o[0] == 1 && o[1] >= 2 {
		cm, err = dense.ArgMax(r.outs[0].Data, o[1], o[2], o[3])
	} else {
		return fmt.Errorf("%s: output %q %v is not per-pixel class scores [1, C, H, W] nor an ArgMax class map [1, H, W] or [1, 1, H, W]", spec, r.p.Outputs[0].Name, o)
	}
	if err != nil {
		return fmt.Errorf("%s: output %q: %v", spec, r.p.Outputs[0].Name, err)
	}
	var over *image.RGBA
	if *outFile != "" {
		over = dense.Overlay(r.img, cm, *alpha)
	}
	post := time.Since(t0)
	if over != nil {
		if err := imageio.SavePNG(*outFile, over); err != nil {
			return err
		}
	}
	b := r.img.Bounds()
	js := segmentJSON{Model: spec, Image: *imageFile, Width: b.Dx(), Height: b.Dy(), Input: r.in, Classes: cm.Classes,
		NetworkMS: msec(r.net), PostMS: msec(post)}
	counts := cm.Counts()
	for k, n := range counts {
		if n > 0 {
			js.Pixels = append(js.Pixels, classCount{Class: k, Pixels: n, Share: float64(n) / float64(len(cm.Index))})
		}
	}
	for i := 1; i < len(js.Pixels); i++ { // most pixels first (insertion sort: few classes)
		for j := i; j > 0 && js.Pixels[j].Pixels > js.Pixels[j-1].Pixels; j-- {
			js.Pixels[j], js.Pixels[j-1] = js.Pixels[j-1], js.Pixels[j]
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(js)
	}
	fmt.Fprintf(stdout, "%s: %d×%d, input %v; %d×%d class map of %d classes\n", *imageFile, b.Dx(), b.Dy(), r.in, cm.W, cm.H, cm.Classes)
	for _, c := range js.Pixels {
		fmt.Fprintf(stdout, "  class %-3d %6.2f%% of pixels\n", c.Class, 100*c.Share)
	}
	if *outFile != "" {
		fmt.Fprintf(stdout, "wrote %s\n", *outFile)
	}
	fmt.Fprintf(stdout, "time: network %.3f ms (isa %s, %d threads, first run), post-processing %.3f ms\n", msec(r.net), r.p.ISA, r.threads, msec(post))
	return nil
}

// argMaxClasses returns the class count of the plan's ArgMax over channels
// (the length of the axis it reduces), when the plan has one.
func argMaxClasses(p *plan.Plan) (int, bool) {
	for i := len(p.Steps) - 1; i >= 0; i-- {
		if s := &p.Steps[i]; s.Op == ir.OpArgMax && len(s.In) > 0 {
			x := s.In[0].Shape
			return x[ir.ArgMaxAxis(&s.Attrs, len(x))], true
		}
	}
	return 0, false
}
