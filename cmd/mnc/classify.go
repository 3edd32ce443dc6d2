package main

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/labels"
)

// outputTop is one output's top classes per image, as run prints them.
type outputTop struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	// Scores says what the numbers are: "softmax" (of the output's logits,
	// computed by mnc), "probabilities" (the output already sums to 1 per
	// image) or "raw" (not a class vector: the largest values).
	Scores string     `json:"scores"`
	Labels string     `json:"labels,omitempty"` // where the names come from
	Finite bool       `json:"finite"`
	Images []imageTop `json:"images,omitempty"`
	// Min, Max and Mean summarise an output that is not a class vector
	// (finite values only).
	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
	Mean *float64 `json:"mean,omitempty"`
}

// summarize is topClasses for a classifier output, and the range and mean
// of any other.
func summarize(t *ir.Tensor, name string, k int, labelFile string, files []string) (outputTop, error) {
	if _, _, ok := classes(t.Shape); ok && t.Shape[0] > 0 {
		return topClasses(t, name, k, labelFile, files)
	}
	o := outputTop{Name: name, Shape: t.Shape, Scores: "raw", Finite: true}
	lo, hi, sum, n := math.Inf(1), math.Inf(-1), 0.0, 0
	for _, v := range t.Data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			o.Finite = false
			continue
		}
		lo, hi, sum, n = math.Min(lo, f), math.Max(hi, f), sum+f, n+1
	}
	if n > 0 {
		mean := sum / float64(n)
		o.Min, o.Max, o.Mean = &lo, &hi, &mean
	}
	return o, nil
}

type imageTop struct {
	Index int          `json:"index"`
	Image string       `json:"image,omitempty"` // the -image file
	Top   []classScore `json:"top"`
}

type classScore struct {
	Class int     `json:"class"`
	Label string  `json:"label,omitempty"`
	Score float64 `json:"score"`
	Value float64 `json:"value"` // the output's own value (the logit)
}

// classes returns the rows and classes of a classifier output ([N,C],
// [N,C,1,1] or [C]); ok is false for any other shape.
func classes(s ir.Shape) (rows, cols int, ok bool) {
	switch {
	case len(s) == 1:
		return 1, s[0], s[0] >= 2
	case len(s) == 2:
		return s[0], s[1], s[1] >= 2
	case len(s) == 4 && s[2] == 1 && s[3] == 1:
		return s[0], s[1], s[1] >= 2
	}
	return 0, 0, false
}

// labelSet picks the class names for an output of cols classes: the
// -labels file, or ImageNet's for 1000 or 1001 classes.
func labelSet(file string, cols int) ([]string, string, error) {
	if file != "" {
		n, err := labels.Read(file)
		if err != nil {
			return nil, "", usagef("-labels: %v", err)
		}
		f, err := labels.Fit(n, cols)
		if err != nil {
			return nil, "", usagef("-labels %s: %v", file, err)
		}
		return f, file, nil
	}
	if cols == 1000 || cols == 1001 {
		f, _ := labels.Fit(labels.ImageNet(), cols)
		return f, "ImageNet", nil
	}
	return nil, "", nil
}

// topClasses ranks each image's classes of output t.
func topClasses(t *ir.Tensor, name string, k int, labelFile string, files []string) (outputTop, error) {
	o := outputTop{Name: name, Shape: t.Shape, Scores: "raw", Finite: true}
	for _, v := range t.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			o.Finite = false
		}
	}
	rows, cols, isClass := classes(t.Shape)
	if !isClass {
		rows, cols = 1, len(t.Data)
		if len(t.Shape) >= 2 && t.Shape[0] > 0 {
			rows, cols = t.Shape[0], len(t.Data)/t.Shape[0]
		}
	}
	var names []string
	if isClass {
		var err error
		if names, o.Labels, err = labelSet(labelFile, cols); err != nil {
			return o, err
		}
		o.Scores = "softmax"
		if isProbabilities(t.Data, rows, cols) {
			o.Scores = "probabilities"
		}
	}
	k = min(k, cols)
	for r := 0; r < rows; r++ {
		row := t.Data[r*cols : (r+1)*cols]
		score := make([]float64, cols)
		for i, v := range row {
			score[i] = float64(v)
		}
		if o.Scores == "softmax" && o.Finite {
			softmax(score)
		}
		idx := make([]int, cols)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
		it := imageTop{Index: r}
		if r < len(files) {
			it.Image = files[r]
		}
		for _, i := range idx[:k] {
			c := classScore{Class: i, Score: score[i], Value: float64(row[i])}
			if names != nil {
				c.Label = names[i]
			}
			it.Top = append(it.Top, c)
		}
		o.Images = append(o.Images, it)
	}
	return o, nil
}

// isProbabilities reports whether every row lies in [0, 1] and sums to 1.
func isProbabilities(d []float32, rows, cols int) bool {
	for r := 0; r < rows; r++ {
		var s float64
		for _, v := range d[r*cols : (r+1)*cols] {
			if v < 0 || v > 1 {
				return false
			}
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-3 {
			return false
		}
	}
	return true
}

func softmax(x []float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	var s float64
	for i, v := range x {
		x[i] = math.Exp(v - m)
		s += x[i]
	}
	for i := range x {
		x[i] /= s
	}
}

// print writes o for people: a header saying what the scores are, then
// one line per class.
func (o *outputTop) print() {
	fmt.Fprintf(stdout, "output %q %v", o.Name, ir.Shape(o.Shape))
	switch o.Scores {
	case "softmax":
		fmt.Fprint(stdout, ": softmax of the logits")
	case "probabilities":
		fmt.Fprint(stdout, ": probabilities (the model's own)")
	}
	if o.Labels != "" {
		fmt.Fprintf(stdout, ", %s labels", o.Labels)
	}
	if !o.Finite {
		fmt.Fprint(stdout, " (contains NaN or Inf)")
	}
	if o.Min != nil {
		fmt.Fprintf(stdout, ": min %.4g, max %.4g, mean %.4g", *o.Min, *o.Max, *o.Mean)
	}
	fmt.Fprintln(stdout)
	for _, it := range o.Images {
		fmt.Fprintf(stdout, "  image %d", it.Index)
		if it.Image != "" {
			fmt.Fprintf(stdout, " (%s)", it.Image)
		}
		fmt.Fprintf(stdout, " top-%d:", len(it.Top))
		if o.Scores == "raw" {
			for _, c := range it.Top {
				fmt.Fprintf(stdout, " %d (%.4f)", c.Class, c.Value)
			}
			fmt.Fprintln(stdout)
			continue
		}
		fmt.Fprintln(stdout)
		for _, c := range it.Top {
			fmt.Fprintf(stdout, "    %6.2f%%  %4d  %s\n", 100*c.Score, c.Class, c.Label)
		}
	}
}

// runJSON is what run -json prints for each run.
type runJSON struct {
	Model     string           `json:"model"`
	Shapes    map[string][]int `json:"shapes,omitempty"`
	Executor  string           `json:"executor"`
	CompileMS float64          `json:"compile_ms,omitempty"`
	TimeMS    float64          `json:"time_ms"`
	Outputs   []outputTop      `json:"outputs"`
}

func printRunJSON(spec string, set map[string][]int, r *runResult, k int, labelFile string, files []string) error {
	j := runJSON{Model: spec, Shapes: set, Executor: r.what, CompileMS: msec(r.compile), TimeMS: msec(r.elapsed)}
	for i, t := range r.outs {
		o, err := summarize(t, r.names[i], k, labelFile, files)
		if err != nil {
			return err
		}
		j.Outputs = append(j.Outputs, o)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}
