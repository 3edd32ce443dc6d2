package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/runtime"
)

func checkPlotFile(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".svg":
		return nil
	}
	return usagef("-plot %s: want a .png or .svg file name", path)
}

// layerKind is the colour key of a step: its kind and algorithm.
func layerKind(l layer) string {
	if l.Algo != "" && l.Algo != l.Kind {
		return l.Kind + "/" + l.Algo
	}
	return l.Kind
}

// plotBench draws, for each result (a column), three charts: the time of
// each step (bars coloured by kind), each step's GFLOP/s as a percentage
// of the FMA peak measured in this run, and a roofline (arithmetic
// intensity against achieved GFLOP/s, under the measured FMA peak and
// copy bandwidth).
//
// The peak and bandwidth are the best of measurements before the
// benchmark (before) and now: on a shared machine one alone can be low.
func plotBench(path string, results []*benchResult, threads int, before machinePeak) error {
	isa, err := kernels.ParseISA(results[0].ISA)
	if err != nil {
		return err
	}
	peak := measurePeak(isa, threads)
	peak.GFLOPS, peak.GBps = max(peak.GFLOPS, before.GFLOPS), max(peak.GBps, before.GBps)
	// One colour per kind, the same in every column.
	kindSet := map[string]bool{}
	for _, r := range results {
		for _, l := range r.Layers {
			kindSet[layerKind(l)] = true
		}
	}
	var kinds []string
	for k := range kindSet {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	colour := map[string]color.Color{}
	for i, k := range kinds {
		colour[k] = imageio.Palette(i)
	}
	var maxMS, maxPct float64
	for _, r := range results {
		for _, l := range r.Layers {
			maxMS = max(maxMS, l.MS)
			if peak.GFLOPS > 0 {
				maxPct = max(maxPct, 100*l.GFLOPS/peak.GFLOPS)
			}
		}
	}
	rows := [][]*plot.Plot{{}, {}, {}, {}}
	for _, r := range results {
		n := len(r.Layers)
		barW := vg.Points(math.Max(0.5, 520/float64(len(results))/float64(max(n, 1))))
		times := plot.New()
		times.Title.Text = fmt.Sprintf("%s %s: %d steps, median %.3f ms (%d threads, %s)", r.Model, r.Variant, n, r.MedianMS, r.Threads, r.ISA)
		times.X.Label.Text = "step"
		times.Y.Label.Text = "time per step (ms)"
		times.Y.Max = maxMS * 1.3 // room for the legend
		times.X.Tick.Marker = intTicks{}
		pct := plot.New()
		if peak.GFLOPS > 0 {
			pct.Title.Text = fmt.Sprintf("GFLOP/s per step, %% of the measured FMA peak (%.0f GFLOP/s on %d threads)", peak.GFLOPS, threads)
		} else {
			pct.Title.Text = "GFLOP/s per step (no FMA peak loop for " + r.ISA + ")"
		}
		pct.X.Label.Text = "step"
		pct.Y.Label.Text = "% of FMA peak"
		pct.Y.Min, pct.Y.Max = 0, max(100, maxPct*1.05)
		pct.X.Tick.Marker = intTicks{}
		roof := plot.New()
		roof.Title.Text = "roofline"
		roof.X.Label.Text = "arithmetic intensity (FLOP per byte moved)"
		roof.Y.Label.Text = "GFLOP/s"
		roof.X.Scale, roof.Y.Scale = plot.LogScale{}, plot.LogScale{}
		roof.X.Tick.Marker, roof.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
		lo, hi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, k := range kinds {
			tv := make(plotter.Values, n)
			pv := make(plotter.Values, n)
			var pts plotter.XYs
			any := false
			for i, l := range r.Layers {
				if layerKind(l) != k {
					continue
				}
				any = true
				tv[i] = l.MS
				if peak.GFLOPS > 0 {
					pv[i] = 100 * l.GFLOPS / peak.GFLOPS
				}
				b := stepBytes(r.plan, &r.plan.Steps[l.Index])
				if l.MACs > 0 && l.GFLOPS > 0 && b > 0 {
					ai := 2 * float64(l.MACs) / float64(b)
					pts = append(pts, plotter.XY{X: ai, Y: l.GFLOPS})
					lo, hi, ylo, yhi = math.Min(lo, ai), math.Max(hi, ai), math.Min(ylo, l.GFLOPS), math.Max(yhi, l.GFLOPS)
				}
			}
			if !any {
				continue
			}
			for _, c := range []struct {
				p *plot.Plot
				v plotter.Values
			}{{times, tv}, {pct, pv}} {
				bar, err := plotter.NewBarChart(c.v, barW)
				if err != nil {
					return err
				}
				bar.Color = colour[k]
				bar.LineStyle.Width = 0
				c.p.Add(bar)
				if c.p == times {
					times.Legend.Add(k, bar)
				}
			}
			if len(pts) > 0 {
				sc, err := plotter.NewScatter(pts)
				if err != nil {
					return err
				}
				sc.GlyphStyle.Color = colour[k]
				sc.GlyphStyle.Radius = vg.Points(3)
				sc.GlyphStyle.Shape = draw.CircleGlyph{}
				roof.Add(sc)
				roof.Legend.Add(k, sc)
			}
		}
		times.Legend.Top = true
		times.Legend.Left = false
		roof.Legend.Top = false
		roof.Legend.Left = false
		if !math.IsInf(lo, 0) {
			lo, hi = lo/2, hi*2
			ceil := math.Max(peak.GFLOPS, yhi)
			if peak.GFLOPS > 0 {
				l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: peak.GFLOPS}, {X: hi, Y: peak.GFLOPS}})
				if err != nil {
					return err
				}
				l.Color, l.Dashes = color.Black, []vg.Length{vg.Points(4), vg.Points(2)}
				roof.Add(l)
				roof.Legend.Add(fmt.Sprintf("FMA peak %.0f GFLOP/s", peak.GFLOPS), l)
			}
			if peak.GBps > 0 {
				// memory roof: GFLOP/s = bandwidth × intensity, up to the peak
				var xy plotter.XYs
				for x := lo; x <= hi*1.0001; x *= 1.25 {
					y := peak.GBps * x
					if peak.GFLOPS > 0 && y > peak.GFLOPS {
						break
					}
					xy = append(xy, plotter.XY{X: x, Y: y})
				}
				if len(xy) >= 2 {
					l, err := plotter.NewLine(xy)
					if err != nil {
						return err
					}
					l.Color = color.Gray{100}
					roof.Add(l)
					roof.Legend.Add(fmt.Sprintf("copy bandwidth %.1f GB/s", peak.GBps), l)
					ylo = math.Min(ylo, xy[0].Y)
				}
			}
			roof.X.Min, roof.X.Max = lo, hi
			roof.Y.Min, roof.Y.Max = ylo/2, math.Max(ceil, yhi)*1.5
		}
		rows[0] = append(rows[0], times)
		rows[1] = append(rows[1], pct)
		rows[2] = append(rows[2], roof)
		tl := plot.New()
		tl.X.Label.Text = "time (ms)"
		tl.Y.Label.Text = "thread"
		if r.trace != nil && len(r.trace.StepEnd) > 0 {
			total := r.trace.StepEnd[len(r.trace.StepEnd)-1]
			tl.Title.Text = fmt.Sprintf("timeline of the fastest of 3 traced runs (%.3f ms): each thread's work on each step", float64(total.Nanoseconds())/1e6)
			tl.Add(&timeline{tr: r.trace, colour: func(step int) color.Color {
				st := &r.plan.Steps[step]
				return colour[layerKind(layer{Kind: st.Kind.String(), Algo: st.Algo})]
			}})
			tl.X.Min, tl.X.Max = 0, float64(total.Nanoseconds())/1e6
			tl.Y.Min, tl.Y.Max = -0.5, float64(r.Threads)-0.5
			tl.Y.Tick.Marker = intTicks{}
		}
		rows[3] = append(rows[3], tl)
	}
	w := vg.Length(len(results)) * 9 * vg.Inch
	h := 15 * vg.Inch
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	c, err := draw.NewFormattedCanvas(w, h, ext)
	if err != nil {
		return fmt.Errorf("-plot: %w", err)
	}
	dc := draw.New(c)
	t := draw.Tiles{Rows: 4, Cols: len(results), PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(10), PadX: vg.Points(24), PadY: vg.Points(24)}
	cs := plot.Align(rows, t, dc)
	for i := range rows {
		for j := range rows[i] {
			rows[i][j].Draw(cs[i][j])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-plot: %w", err)
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("-plot: %w", err)
	}
	return f.Close()
}

// intTicks labels an axis of step numbers with whole numbers.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	step := 1.0
	for (hi-lo)/step > 12 {
		switch {
		case step < 2:
			step = 2
		case step < 5:
			step = 5
		default:
			step *= 2
		}
	}
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, plot.Tick{Value: v, Label: fmt.Sprint(int(v))})
	}
	return out
}

// timeline draws a traced run: one lane per thread (thread 0 at the
// bottom), one box per step the thread worked on, coloured by kind.
type timeline struct {
	tr     *runtime.Trace
	colour func(step int) color.Color
}

func (t *timeline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, s := range t.tr.Spans {
		x0, x1 := trX(float64(s.Start.Nanoseconds())/1e6), trX(float64(s.End.Nanoseconds())/1e6)
		if x1-x0 < 0.5 {
			x1 = x0 + 0.5 // visible however short
		}
		y0, y1 := trY(float64(s.Thread)-0.4), trY(float64(s.Thread)+0.4)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(t.colour(s.Step), c.ClipPolygonXY(pts))
	}
}
