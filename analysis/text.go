package analysis

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteText prints the per-layer table, the totals and the shares by kind.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if len(r.Outputs) > 1 {
		var outs []string
		for _, o := range r.Outputs {
			outs = append(outs, o.Name+" "+dims(o.Shape))
		}
		fmt.Fprintf(&b, "model %s: input %s, outputs %s\n\n", r.Model, dims(r.Input), strings.Join(outs, ", "))
	} else {
		fmt.Fprintf(&b, "model %s: input %s, output %s\n\n", r.Model, dims(r.Input), dims(r.Output))
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\top\tkind\tkernel\tstride\toutput\tparams\tMACs\tout KiB\t")
	for _, l := range r.Layers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%dx%d\t%d\t%s\t%s\t%s\t%.1f\t\n", l.Name, l.Op, l.Kind, l.Kernel[0], l.Kernel[1],
			l.Stride, dims(l.Out), Commas(l.Params), Commas(l.MACs), float64(l.OutBytes)/1024)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nMACs     %15s  (%.1f M; conv and fc multiply-adds, BN folded)\n", Commas(r.MACs), float64(r.MACs)/1e6)
	fmt.Fprintf(&b, "FLOPs    %15s  (2·MACs)\n", Commas(r.FLOPs))
	fmt.Fprintf(&b, "params   %15s  (%.3f M; weights + biases + BN γ/β)\n", Commas(r.Params), float64(r.Params)/1e6)
	fmt.Fprintf(&b, "weights  %15s  (%.3f M; conv and fc weight tensors only)\n", Commas(r.Weights), float64(r.Weights)/1e6)
	fmt.Fprintf(&b, "outputs  %15s  bytes (fp32 outputs of the layers above)\n\n", Commas(r.OutBytes))
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tlayers\tMACs\tMACs %\tparams\tparams %\tweights %\t")
	for _, s := range r.Shares {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.2f\t%s\t%.2f\t%.2f\t\n", s.Kind, s.Layers, Commas(s.MACs), 100*s.MACShare,
			Commas(s.Params), 100*s.ParamShare, 100*s.WeightShare)
	}
	tw.Flush()
	if st := r.Standard; st.Pairs > 0 {
		fmt.Fprintf(&b, "\nwith standard convs in place of the %d depthwise-separable pairs: %s MACs (%.1f M), %s weights;\n",
			st.Pairs, Commas(st.MACs), float64(st.MACs)/1e6, Commas(st.Weights))
		fmt.Fprintf(&b, "depthwise-separable costs %.4f of that (%.1fx fewer MACs)\n", st.Ratio, 1/st.Ratio)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Commas formats n with thousands separators: 568,740,352.
func Commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func dims(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = strconv.Itoa(d)
	}
	return strings.Join(p, "x")
}
