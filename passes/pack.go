package passes

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// packWeights lays every constant out once, at compile time, the way the
// target Set's kernels read it: NR-panelled GEMM weights (FC weights
// transposed to [out][in] and scaled by Alpha, bias scaled by Beta),
// tap-major depthwise filters, the dense conv's packing; generic steps get
// their constants verbatim. Identical constants share one blob.
func packWeights(s *State) error {
	p := s.Plan
	type key struct {
		t    *ir.Tensor
		pack packKind
	}
	seen := map[key]int{}
	blob := func(t *ir.Tensor, pk packKind, f func() ([]float32, error)) (int, error) {
		if t == nil {
			return plan.NoBlob, nil
		}
		k := key{t, pk}
		if i, ok := seen[k]; ok && pk != packGemmFC { // FC packing depends on attrs: never share
			return i, nil
		}
		data, err := f()
		if err != nil {
			return 0, err
		}
		p.Blobs = append(p.Blobs, data)
		seen[k] = len(p.Blobs) - 1
		return len(p.Blobs) - 1, nil
	}
	raw := func(t *ir.Tensor) func() ([]float32, error) {
		return func() ([]float32, error) { return append([]float32(nil), t.Data...), nil }
	}
	var uses map[*ir.Tensor]int
	var shared map[*ir.Tensor]bool
	if s.Opts.ReleaseWeights {
		uses, shared = s.packUses(), s.sharedConsts()
		defer func() { s.spent = nil }()
	}
	for i := range p.Steps {
		st, ps := &p.Steps[i], &s.steps[i]
		if uses != nil {
			s.spent = map[*ir.Tensor]bool{}
			for _, t := range s.stepConsts(ps) {
				s.spent[t] = uses[t] == 1 && !shared[t]
			}
		}
		if err := s.packStep(st, ps, blob, raw); err != nil {
			return fmt.Errorf("step %d %q: %w", i, st.Name, err)
		}
		if uses != nil {
			for _, t := range s.stepConsts(ps) {
				if uses[t]--; uses[t] == 0 {
					t.Data = nil // packed for its last reader (release.go)
				}
			}
		}
	}
	return nil
}

// packGemmRows is set.PackGemm(dst, w, n, k) for a [n][k] weight; when
// spent (packing reads w for the last time, and nothing else reads its
// memory) it packs a few hundred KiB of rows at a time and gives each
// part's pages back to the OS once packed (dropPages), so that a large
// weight and its packed copy are never both resident: MobileNetV2's
// 1000×1280 classifier held 5.1 + 5.2 MB at pack-weights' peak. Panels
// are NR rows of w, so packing whole panels at a time lays out the same
// bytes as one call (TestPackGemmRowsSame).
func packGemmRows(set *kernels.Set, dst, w []float32, n, k int, spent bool) {
	const part = 256 << 10 // bytes of w per call
	if !spent || set.NR <= 0 || k <= 0 || 4*n*k < 4*part {
		set.PackGemm(dst, w, n, k)
		return
	}
	rows := max(1, part/(4*k*set.NR)) * set.NR
	for r0 := 0; r0 < n; r0 += rows {
		r1 := min(n, r0+rows)
		set.PackGemm(dst[r0*k:][:set.PackedGemmSize(r1-r0, k)], w[r0*k:r1*k], r1-r0, k)
		dropPages(w[r0*k : r1*k])
	}
}

type blobFunc func(t *ir.Tensor, pk packKind, f func() ([]float32, error)) (int, error)

func (s *State) packStep(st *plan.Step, ps *pendingStep, blob blobFunc, raw func(*ir.Tensor) func() ([]float32, error)) error {
	set := s.Set
	constOf := func(v *ir.Value) *ir.Tensor {
		if v == nil {
			return nil
		}
		return v.Const
	}
	if st.Kind == plan.KindGeneric {
		st.ConstIn = make([]int, len(ps.in))
		for j, v := range ps.in {
			st.ConstIn[j] = plan.NoBlob
			if pre, ok := ps.precomputed[j]; ok {
				st.ConstIn[j] = len(s.Plan.Blobs)
				s.Plan.Blobs = append(s.Plan.Blobs, pre)
			} else if v.IsConst() {
				b, err := blob(v.Const, packNone, raw(v.Const))
				if err != nil {
					return err
				}
				st.ConstIn[j] = b
			}
		}
		return nil
	}
	if ps.pack == packNone {
		return nil
	}
	if ps.pack == packQGemm { // made by emit (int8-storage's qgemmConsts)
		st.Consts = nil
		for _, b := range ps.qconsts {
			st.Consts = append(st.Consts, len(s.Plan.Blobs))
			s.Plan.Blobs = append(s.Plan.Blobs, b)
		}
		return nil
	}
	w, b := constOf(ps.consts[0]), constOf(ps.consts[1])
	var wf func() ([]float32, error)
	var wkey string // what the packing depends on besides w, for Options.Weights
	bf := raw(b)
	switch ps.pack {
	case packGemmConv:
		n, k := w.Shape[0], w.Shape[1]
		wkey = fmt.Sprint(n, k)
		wf = func() ([]float32, error) {
			dst := make([]float32, set.PackedGemmSize(n, k))
			packGemmRows(set, dst, w.Data[:n*k], n, k, s.spent[w])
			return dst, nil
		}
	case packGemmFC:
		n, k := st.WShape[0], st.WShape[1]
		alpha, beta, transB := st.Attrs.Alpha, st.Attrs.Beta, st.Attrs.TransB
		wkey = fmt.Sprint(n, k, alpha, transB)
		wf = func() ([]float32, error) {
			if transB && alpha == 1 { // already [out][in]: no copy
				dst := make([]float32, set.PackedGemmSize(n, k))
				packGemmRows(set, dst, w.Data[:n*k], n, k, s.spent[w] && len(w.Data) == n*k)
				return dst, nil
			}
			nk := make([]float32, n*k) // [out][in]
			for o := 0; o < n; o++ {
				for i := 0; i < k; i++ {
					v := w.Data[i*n+o] // B is [K][N]
					if transB {
						v = w.Data[o*k+i]
					}
					nk[o*k+i] = alpha * v
				}
			}
			dst := make([]float32, set.PackedGemmSize(n, k))
			set.PackGemm(dst, nk, n, k)
			return dst, nil
		}
		if b != nil {
			bf = func() ([]float32, error) {
				out := make([]float32, n)
				for j := range out {
					out[j] = beta * b.Data[j]
				}
				return out, nil
			}
		}
	case packDW:
		c, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
		wkey = fmt.Sprint(c, kh, kw)
		wf = func() ([]float32, error) {
			dst := make([]float32, set.PackedDWSize(c, kh, kw))
			set.PackDW(dst, w.Data, c, kh, kw)
			return dst, nil
		}
	case packConv:
		cp, err := plan.ConvParams(st)
		if err != nil {
			return err
		}
		st.Scratch = set.ConvScratchSize(&cp, cp.OH)
		if st.Out.DType == plan.U8 {
			st.Scratch = plan.ConvBytesScratch(set, &cp)
		}
		// Packing reads the conv's structure, not its spatial extent: the
		// key leaves H and W out so that other input sizes share it.
		kp := cp
		kp.H, kp.W, kp.OH, kp.OW = 0, 0, 0, 0
		wkey = fmt.Sprintf("%+v", kp)
		wf = func() ([]float32, error) {
			dst := make([]float32, set.PackedConvSize(&cp))
			set.PackConv(dst, w.Data, &cp)
			return dst, nil
		}
	}
	if c := s.Opts.Weights; c != nil && wf != nil {
		pack, key := wf, fmt.Sprintf("pack:%s:%d:%s", set.ISA, ps.pack, wkey)
		wf = func() ([]float32, error) { return c.get(w.Data, key, pack) }
	}
	wi, err := blob(w, ps.pack, wf)
	if err != nil {
		return err
	}
	bk := packNone
	if ps.pack == packGemmFC {
		bk = packGemmFC // scaled by Beta: cached under its own key, never shared
	}
	bi, err := blob(b, bk, bf)
	if err != nil {
		return err
	}
	st.Consts = []int{wi, bi}
	return nil
}
