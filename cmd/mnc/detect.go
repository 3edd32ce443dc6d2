package main

import (
	"encoding/json"
	"fmt"
	"image"
	"runtime"
	"strings"
	"time"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/detect"
	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/labels"
	"github.com/mnc-go/mnc/plan"
)

func init() {
	commands["detect"] = &command{name: "detect", usage: "mnc detect -image FILE [-o OUT.png] [-json] [-labels FILE] [-score S] [-threads N] [-O0|-O2] [-isa ISA] MODEL|PLAN", run: runDetect}
}

// detectJSON is what mnc detect -json prints.
type detectJSON struct {
	Model      string          `json:"model"`
	Image      string          `json:"image"`
	Width      int             `json:"width"`
	Height     int             `json:"height"`
	Input      []int           `json:"input_shape"`
	MinScore   float64         `json:"min_score"`
	Kept       int             `json:"kept"` // detections after NMS, before -score
	Detections []detectionJSON `json:"detections"`
	NetworkMS  float64         `json:"network_ms"`
	PostMS     float64         `json:"postprocess_ms"`
}

type detectionJSON struct {
	Label int        `json:"label"`
	Name  string     `json:"name,omitempty"`
	Score float32    `json:"score"`
	Box   [4]float32 `json:"box"` // x1, y1, x2, y2 in the image's pixels
}

func runDetect(args []string) error {
	fs := newFlags("detect", commands["detect"].usage)
	var cf compileFlags
	cf.register(fs)
	imageFile := fs.String("image", "", "the picture ("+imageio.Formats+")")
	outFile := fs.String("o", "", "write the picture with the boxes and labels drawn to this PNG file")
	asJSON := fs.Bool("json", false, "print the detections and times as JSON")
	labelFile := fs.String("labels", "", "class names, one a line, in class-index order (default: COCO's 91 for 91 classes)")
	minScore := fs.Float64("score", 0.5, "report detections scoring at least this (post-processing keeps those above 0.001)")
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
	case !(*minScore >= 0 && *minScore <= 1):
		return usagef("-score %g: want a probability in [0, 1]", *minScore)
	}
	img, err := imageio.Load(*imageFile)
	if err != nil {
		return err
	}
	names := detect.COCO
	if *labelFile != "" {
		if names, err = labels.Read(*labelFile); err != nil {
			return err
		}
	}
	if tail, err := openTail(spec); err != nil || tail != nil {
		if err != nil {
			return err
		}
		r := detectRun{spec: spec, image: *imageFile, img: img, names: names, minScore: *minScore, outFile: *outFile, asJSON: *asJSON}
		if err := detectTail(tail, &cf, *threads, &r); err != nil {
			return fmt.Errorf("%s: %v", spec, err)
		}
		return showDetections(r)
	}
	m, err := openModel(spec, &cf)
	if err != nil {
		return err
	}
	set, err := cf.shapes.oneSet(m.inputs())
	if err != nil {
		return err
	}
	p, err := m.plan(&cf, set, "")
	if err != nil {
		return err
	}
	ci, ri, err := detectionOutputs(p)
	if err != nil {
		return fmt.Errorf("%s: %v", spec, err)
	}
	in := p.Inputs[0].Buf.Shape
	h, w := in[2], in[3]
	d, err := detect.SSDLite(h, w)
	if err != nil {
		return err
	}
	d.Threads = *threads
	if d.Threads == 0 {
		d.Threads = runtime.NumCPU()
	}
	cls, reg := p.Outputs[ci].Buf.Shape, p.Outputs[ri].Buf.Shape
	if cls[1] != len(d.Anchors) {
		return fmt.Errorf("%s: %d anchors in output %q, but SSDLite's default boxes at %d×%d number %d (mnc detect decodes SSDLite heads)", spec, cls[1], p.Outputs[ci].Name, h, w, len(d.Anchors))
	}
	if names, err = labels.Fit(names, cls[2]); err != nil {
		if *labelFile != "" {
			return fmt.Errorf("%s: %v", *labelFile, err)
		}
		names = nil // not COCO: print class numbers
	}

	x, err := detect.Preprocess(img, h, w)
	if err != nil {
		return err
	}
	e, err := mnc.NewExecutor(p, *threads)
	if err != nil {
		return err
	}
	defer e.Close()
	outs := e.NewOutputs()
	t0 := time.Now()
	if err := e.Run([]*ir.Tensor{x}, outs); err != nil {
		return err
	}
	t1 := time.Now()
	b := img.Bounds()
	dets, err := d.Detect(outs[ci].Data[:cls[1]*cls[2]], outs[ri].Data[:reg[1]*4], cls[2], b.Dx(), b.Dy())
	if err != nil {
		return err
	}
	t2 := time.Now()

	return showDetections(detectRun{spec: spec, image: *imageFile, img: img, in: in, dets: dets, names: names,
		minScore: *minScore, outFile: *outFile, asJSON: *asJSON, net: t1.Sub(t0), post: t2.Sub(t1),
		what: fmt.Sprintf("isa %s, %d threads", p.ISA, e.Threads()), postWhat: "post-processing"})
}

// detectRun is one mnc detect run's result, for showDetections.
type detectRun struct {
	spec, image    string
	img            image.Image
	in             ir.Shape
	dets           []detect.Detection
	names          []string
	minScore       float64
	outFile        string
	asJSON         bool
	net, post      time.Duration
	what, postWhat string
}

// showDetections prints (or writes as JSON) the detections scoring at
// least minScore, and draws them when outFile is set.
func showDetections(r detectRun) error {
	b := r.img.Bounds()
	var shown []detectionJSON
	for _, dt := range r.dets {
		if float64(dt.Score) < r.minScore {
			continue
		}
		j := detectionJSON{Label: dt.Label, Score: dt.Score, Box: [4]float32{dt.Box.X1, dt.Box.Y1, dt.Box.X2, dt.Box.Y2}}
		if r.names != nil && dt.Label >= 0 && dt.Label < len(r.names) {
			j.Name = r.names[dt.Label]
		}
		shown = append(shown, j)
	}
	if r.outFile != "" {
		if err := drawDetections(r.outFile, r.img, shown); err != nil {
			return err
		}
	}
	if r.asJSON {
		j := detectJSON{Model: r.spec, Image: r.image, Width: b.Dx(), Height: b.Dy(), Input: []int(r.in), MinScore: r.minScore,
			Kept: len(r.dets), Detections: shown, NetworkMS: msec(r.net), PostMS: msec(r.post)}
		if j.Detections == nil {
			j.Detections = []detectionJSON{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(j)
	}
	fmt.Fprintf(stdout, "%s: %d×%d, input %v; %d detections scoring ≥ %g (of %d kept after NMS)\n", r.image, b.Dx(), b.Dy(), r.in, len(shown), r.minScore, len(r.dets))
	for _, j := range shown {
		name := j.Name
		if name == "" {
			name = fmt.Sprintf("class %d", j.Label)
		}
		fmt.Fprintf(stdout, "  %-16s %.3f  [%.1f, %.1f, %.1f, %.1f]\n", name, j.Score, j.Box[0], j.Box[1], j.Box[2], j.Box[3])
	}
	if r.outFile != "" {
		fmt.Fprintf(stdout, "wrote %s\n", r.outFile)
	}
	fmt.Fprintf(stdout, "time: network %.3f ms (%s, first run includes warm-up), %s %.3f ms\n", msec(r.net), r.what, r.postWhat, msec(r.post))
	return nil
}

// detectionOutputs finds an SSD head's outputs among the plan's: class
// scores [1, A, C] and box codes [1, A, 4] (by the names torchvision's
// SSD uses, else by shape).
func detectionOutputs(p *plan.Plan) (cls, reg int, err error) {
	if len(p.Inputs) != 1 || len(p.Inputs[0].Buf.Shape) != 4 || p.Inputs[0].Buf.Shape[1] != 3 {
		var ins []string
		for _, in := range p.Inputs {
			ins = append(ins, fmt.Sprintf("%q %v", in.Name, in.Buf.Shape))
		}
		return 0, 0, fmt.Errorf("mnc detect needs one NCHW RGB input [1, 3, H, W], the model has %s", strings.Join(ins, ", "))
	}
	if p.Inputs[0].Buf.Shape[0] != 1 {
		return 0, 0, fmt.Errorf("mnc detect runs batch 1, the plan has batch %d", p.Inputs[0].Buf.Shape[0])
	}
	cls, reg = -1, -1
	for i, o := range p.Outputs {
		switch o.Name {
		case "cls_logits":
			cls = i
		case "bbox_regression":
			reg = i
		}
	}
	for i, o := range p.Outputs {
		if s := o.Buf.Shape; len(s) == 3 && s[0] == 1 && i != cls && i != reg {
			switch {
			case s[2] == 4 && reg < 0:
				reg = i
			case cls < 0:
				cls = i
			}
		}
	}
	if cls < 0 || reg < 0 {
		var shapes []string
		for _, o := range p.Outputs {
			shapes = append(shapes, fmt.Sprintf("%s %v", o.Name, o.Buf.Shape))
		}
		return 0, 0, fmt.Errorf("not an SSD head: want outputs of class scores [1, anchors, classes] and box codes [1, anchors, 4], the model has %v", shapes)
	}
	if c, r := p.Outputs[cls].Buf.Shape, p.Outputs[reg].Buf.Shape; len(c) != 3 || len(r) != 3 || r[2] != 4 || c[1] != r[1] {
		return 0, 0, fmt.Errorf("outputs %q %v and %q %v disagree on the number of anchors", p.Outputs[cls].Name, p.Outputs[cls].Buf.Shape, p.Outputs[reg].Name, p.Outputs[reg].Buf.Shape)
	}
	return cls, reg, nil
}

// drawDetections writes img with each detection's box and "name score"
// label, coloured by class, to a PNG file.
func drawDetections(path string, img image.Image, dets []detectionJSON) error {
	c := imageio.Canvas(img)
	for _, d := range dets {
		r := image.Rect(int(d.Box[0]), int(d.Box[1]), int(d.Box[2]+0.5), int(d.Box[3]+0.5)).Intersect(c.Bounds())
		col := imageio.Palette(d.Label)
		imageio.DrawRect(c, r, col, 2)
		name := d.Name
		if name == "" {
			name = fmt.Sprintf("%d", d.Label)
		}
		imageio.DrawLabel(c, image.Pt(r.Min.X, r.Min.Y-15), fmt.Sprintf("%s %.2f", name, d.Score), col)
	}
	return imageio.SavePNG(path, c)
}
