package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/detect"
	"github.com/mnc-go/mnc/dyn"
	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// openTail returns the split model when spec is an ONNX file whose graph
// ends in operators mnc does not compile (NonZero, TopK, NMS, If, ...),
// and nil for every other model.
func openTail(spec string) (*dyn.Model, error) {
	parsedONNX.spec, parsedONNX.m = "", nil
	if !strings.EqualFold(filepath.Ext(spec), ".onnx") {
		return nil, nil
	}
	collectEarly(25) // parsing holds the file's bytes and the protobuf at once
	m, err := onnx.Open(spec)
	if err != nil {
		return nil, err
	}
	h, err := dyn.Open(m)
	if err == nil && h == nil {
		parsedONNX.spec, parsedONNX.m = spec, m
	}
	return h, err
}

// parsedONNX is the ONNX file openTail just parsed and found without a
// tail, handed to the loadModel that follows in the same command (parsing
// a large model twice was an eighth of a 100k-node compile). loadModel
// takes it once; the command runs single-threaded.
var parsedONNX struct {
	spec string
	m    *onnx.Model
}

// runTail is mnc run for a model with an interpreted tail: the compiled
// prefix (or, with -ref, the reference executor) then the interpreter.
func runTail(h *dyn.Model, cf *compileFlags, input string, threads int, ref bool) error {
	g := h.Prefix
	if g.Inputs[0].Shape[0] < 0 {
		g = g.Clone()
		if err := g.SetBatch(max(cf.batch, 1)); err != nil {
			return err
		}
	}
	ins := map[string]*ir.Tensor{}
	var list []*ir.Tensor
	for _, v := range g.Inputs {
		t, err := readInput(input, v.Name, v.Shape)
		if err != nil {
			return err
		}
		ins[v.Name] = t
		list = append(list, t)
	}
	pre := map[string]*ir.Tensor{}
	t0 := time.Now()
	what := "reference executor"
	if ref {
		r, err := reference.Run(g, ins, nil)
		if err != nil {
			return err
		}
		pre = r
	} else {
		o, err := cf.options()
		if err != nil {
			return err
		}
		p, _, err := mnc.Compile(g, o)
		if err != nil {
			return err
		}
		e, err := mnc.NewExecutor(p, threads)
		if err != nil {
			return err
		}
		defer e.Close()
		outs := e.NewOutputs()
		t0 = time.Now()
		if err := e.Run(list, outs); err != nil {
			return err
		}
		for i, io := range p.Outputs {
			pre[io.Name] = outs[i]
		}
		what = fmt.Sprintf("plan (isa %s, %d threads, %s)", p.ISA, e.Threads(), levelName(p))
	}
	t1 := time.Now()
	outs, err := h.RunTail(pre, ins)
	if err != nil {
		return err
	}
	t2 := time.Now()
	for i, name := range h.OutputNames() {
		o := outs[i]
		fmt.Fprintf(stdout, "output %q %v %v\n", name, o.DT, ir.Shape(o.Shape))
		if len(o.Shape) <= 1 {
			fmt.Fprintf(stdout, "  %v", o.V[:min(len(o.V), 20)])
			if len(o.V) > 20 {
				fmt.Fprintf(stdout, " ... (%d values)", len(o.V))
			}
			fmt.Fprintln(stdout)
			continue
		}
		row := max(o.Shape[len(o.Shape)-1], 1)
		for r := 0; r*row < len(o.V) && r < 10; r++ {
			fmt.Fprintf(stdout, "  %v\n", o.V[r*row:min((r+1)*row, len(o.V))])
		}
		if len(o.V) > 10*row {
			fmt.Fprintf(stdout, "  ... (%d rows)\n", len(o.V)/row)
		}
	}
	fmt.Fprintf(stdout, "time: %.3f ms compiled prefix (%s, first run includes warm-up) + %.3f ms interpreted tail (%d nodes)\n",
		msec(t1.Sub(t0)), what, msec(t2.Sub(t1)), len(h.Tail.Nodes))
	return nil
}

// benchTail is mnc bench for a model with an interpreted tail: the
// compiled prefix and the tail timed in the same runs; -per-layer lists the
// slowest tail nodes.
func benchTail(h *dyn.Model, cf *compileFlags, threads, runs, warm int, perLayer bool) error {
	g := h.Prefix
	if g.Inputs[0].Shape[0] < 0 {
		g = g.Clone()
		if err := g.SetBatch(max(cf.batch, 1)); err != nil {
			return err
		}
	}
	o, err := cf.options()
	if err != nil {
		return err
	}
	p, _, err := mnc.Compile(g, o)
	if err != nil {
		return err
	}
	e, err := mnc.NewExecutor(p, threads)
	if err != nil {
		return err
	}
	defer e.Close()
	ins := map[string]*ir.Tensor{}
	var list []*ir.Tensor
	for _, v := range g.Inputs {
		t := reference.FixedInput(v.Shape...)
		ins[v.Name] = t
		list = append(list, t)
	}
	outs := e.NewOutputs()
	pre := map[string]*ir.Tensor{}
	for i, io := range p.Outputs {
		pre[io.Name] = outs[i]
	}
	if runs == 0 {
		runs = 50
	}
	prof := map[string]time.Duration{}
	var tp, tt []float64
	for i := range warm + runs {
		t0 := time.Now()
		if err := e.Run(list, outs); err != nil {
			return err
		}
		t1 := time.Now()
		var pr map[string]time.Duration
		if i >= warm {
			pr = prof
		}
		if _, err := h.RunTailProfile(pre, ins, pr); err != nil {
			return err
		}
		if i >= warm {
			tp = append(tp, msec(t1.Sub(t0)))
			tt = append(tt, msec(time.Since(t1)))
		}
	}
	mp, mt := median(tp), median(tt)
	fmt.Fprintf(stdout, "model %s: isa %s, %d threads, %s, %d runs; %d nodes compiled, %d interpreted\n", h.Prefix.Name, p.ISA, e.Threads(), levelName(p), runs, len(h.Prefix.Nodes), len(h.Tail.Nodes))
	fmt.Fprintf(stdout, "  median: %.3f ms = compiled prefix %.3f ms (%.1f%%) + interpreted tail %.3f ms (%.1f%%)\n", mp+mt, mp, 100*mp/(mp+mt), mt, 100*mt/(mp+mt))
	if perLayer {
		type nt struct {
			name string
			d    time.Duration
		}
		var l []nt
		for k, v := range prof {
			l = append(l, nt{k, v})
		}
		sort.Slice(l, func(i, j int) bool { return l[i].d > l[j].d || l[i].d == l[j].d && l[i].name < l[j].name })
		op := map[string]string{}
		for _, n := range h.Tail.Nodes {
			op[n.Name] = n.Op
		}
		var total float64 // mean run: prefix + every tail node
		for _, v := range tp {
			total += v / float64(len(tp))
		}
		for _, x := range l {
			total += msec(x.d) / float64(runs)
		}
		fmt.Fprintf(stdout, "  interpreted nodes, slowest first (mean per run, share of the mean run %.3f ms):\n", total)
		for i, x := range l {
			if i == 15 {
				fmt.Fprintf(stdout, "  ... %d more\n", len(l)-15)
				break
			}
			ms := msec(x.d) / float64(runs)
			fmt.Fprintf(stdout, "    %-28s %-18s %8.4f ms  %5.1f%%\n", x.name, op[x.name], ms, 100*ms/total)
		}
	}
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// detectTail is mnc detect for a model with its post-processing in the
// graph: the picture preprocessed for the model's input (SSDLite's
// transform), the compiled prefix, then the interpreted tail, whose
// outputs must be boxes [M, 4] (x1, y1, x2, y2 in input pixels), scores
// [M] and labels [M] (found by name, else by shape and type); the boxes are
// scaled to the picture.
func detectTail(h *dyn.Model, cf *compileFlags, threads int, r *detectRun) error {
	g := h.Prefix
	if len(g.Inputs) != 1 || len(g.Inputs[0].Shape) != 4 || g.Inputs[0].Shape[1] != 3 {
		return fmt.Errorf("mnc detect needs one NCHW RGB input")
	}
	if g.Inputs[0].Shape[0] != 1 {
		g = g.Clone()
		if err := g.SetBatch(1); err != nil {
			return err
		}
	}
	in := g.Inputs[0].Shape
	x, err := detect.Preprocess(r.img, in[2], in[3])
	if err != nil {
		return err
	}
	o, err := cf.options()
	if err != nil {
		return err
	}
	p, _, err := mnc.Compile(g, o)
	if err != nil {
		return err
	}
	e, err := mnc.NewExecutor(p, threads)
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
	pre := map[string]*ir.Tensor{}
	for i, io := range p.Outputs {
		pre[io.Name] = outs[i]
	}
	res, err := h.RunTail(pre, map[string]*ir.Tensor{g.Inputs[0].Name: x})
	if err != nil {
		return err
	}
	t2 := time.Now()
	bi, si, li := -1, -1, -1
	names := h.OutputNames()
	for i, t := range res {
		n := strings.ToLower(names[i])
		switch {
		case len(t.Shape) == 2 && t.Shape[1] == 4 && (bi < 0 || strings.Contains(n, "box")):
			bi = i
		case len(t.Shape) == 1 && !t.DT.IsFloat() && (li < 0 || strings.Contains(n, "label")):
			li = i
		case len(t.Shape) == 1 && t.DT.IsFloat() && (si < 0 || strings.Contains(n, "score")):
			si = i
		}
	}
	if bi < 0 || si < 0 || li < 0 || res[si].Shape[0] != res[bi].Shape[0] || res[li].Shape[0] != res[bi].Shape[0] {
		var got []string
		for i, t := range res {
			got = append(got, fmt.Sprintf("%s %v", names[i], t))
		}
		return fmt.Errorf("want outputs boxes [M, 4], scores [M] (float) and labels [M] (integer), the model gives %s", strings.Join(got, ", "))
	}
	b := r.img.Bounds()
	sx, sy := float32(b.Dx())/float32(in[3]), float32(b.Dy())/float32(in[2])
	bx, sc, lb := res[bi].V, res[si].V, res[li].V
	r.dets = nil
	for i := range sc {
		r.dets = append(r.dets, detect.Detection{
			Box:   detect.Box{X1: float32(bx[4*i]) * sx, Y1: float32(bx[4*i+1]) * sy, X2: float32(bx[4*i+2]) * sx, Y2: float32(bx[4*i+3]) * sy},
			Score: float32(sc[i]), Label: int(lb[i]),
		})
	}
	r.in = in
	r.net, r.post = t1.Sub(t0), t2.Sub(t1)
	r.what = fmt.Sprintf("isa %s, %d threads", p.ISA, e.Threads())
	r.postWhat = fmt.Sprintf("interpreted post-processing (%d nodes)", len(h.Tail.Nodes))
	return nil
}
