package onnx

import (
	"fmt"
	"math"
	"math/big"

	"github.com/mnc-go/mnc/limits"
	"google.golang.org/protobuf/encoding/protowire"
)

// MaxNodes bounds the nodes of a model's graph: a thousand times a
// MobileNet's, a few seconds of importing and compiling. A 25 MB file of
// 10^6 Relu nodes took 12 s of CPU and 2.4 GB to compile.
const MaxNodes = 1 << 18

// EntryBytes is about what importing and compiling one graph entry (a
// node, an input, output, value_info or initializer) takes at peak: 10^6
// Relu nodes peaked at 2.4 GB.
const EntryBytes = 2 << 10

// checkGraphSize counts the main graph's nodes and other entries in the
// serialized model, before it is decoded (decoding allocates about a
// hundred bytes for a node of a few wire bytes), and refuses more than
// MaxNodes nodes or entries whose import would take more than the memory
// budget. A malformed message is left to the decoder to report.
func checkGraphSize(name string, data []byte) error {
	var nodes, entries int64
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return nil
		}
		data = data[n:]
		if num == 7 && typ == protowire.BytesType { // ModelProto.graph
			g, n := protowire.ConsumeBytes(data)
			if n < 0 {
				return nil
			}
			nn, ne := countGraph(g)
			nodes, entries = nodes+nn, entries+ne
			data = data[n:]
			continue
		}
		if n = protowire.ConsumeFieldValue(num, typ, data); n < 0 {
			return nil
		}
		data = data[n:]
	}
	if nodes > MaxNodes {
		return fmt.Errorf("%s: the graph has %d nodes, more than the %d mnc imports", name, nodes, MaxNodes)
	}
	return limits.Check(0, fmt.Sprintf("%s: importing its %d graph nodes and values", name, entries), limits.Mul(entries, EntryBytes))
}

// countGraph counts a serialized GraphProto's nodes, and its entries: the
// nodes, initializers, inputs, outputs, value_infos and annotations.
func countGraph(g []byte) (nodes, entries int64) {
	for len(g) > 0 {
		num, typ, n := protowire.ConsumeTag(g)
		if n < 0 {
			return
		}
		g = g[n:]
		if typ == protowire.BytesType {
			switch num {
			case 1: // node
				nodes++
				entries++
			case 5, 11, 12, 13, 14, 15: // initializer, input, output, value_info, quantization_annotation, sparse_initializer
				entries++
			}
		}
		if n = protowire.ConsumeFieldValue(num, typ, g); n < 0 {
			return
		}
		g = g[n:]
	}
	return
}

// checkFold refuses to fold a constant of n elements bigger than the import
// limit: 1/limits.FoldFraction of the memory budget (256 MiB at the
// default). A model's own shape arithmetic is a few integers, so a big
// folded constant (ConstantOfShape([2^28]), Range(0, 2^30, 1) in a file of
// a few hundred bytes) is a file amplifying itself; the check runs before
// the allocation.
func checkFold(what string, n int, isInt bool) error {
	width := int64(4)
	if isInt {
		width = 8
	}
	b := limits.Mul(int64(n), width)
	lim := limits.MaxMemory() / limits.FoldFraction
	if n < 0 || b > lim {
		return fmt.Errorf("%s: folding it at import would make a constant of %d elements (%s), more than the %s allowed (1/%d of the memory budget; -max-memory raises it)",
			what, n, limits.Size(b), limits.Size(lim), limits.FoldFraction)
	}
	return nil
}

// foldRange is ONNX Range(start, limit, delta): integers exactly (with
// math/big for the count, so MaxInt64 → MinInt64 cannot overflow), floats
// only when all three are finite.
func foldRange(start, limit, delta *cval) (*cval, error) {
	for i, c := range []*cval{start, limit, delta} {
		if _, err := c.scalar(); err != nil {
			return nil, fmt.Errorf("input %d: %v", i, err)
		}
	}
	if start.isInt && limit.isInt && delta.isInt {
		s, l, d := start.i[0], limit.i[0], delta.i[0]
		if d == 0 {
			return nil, fmt.Errorf("delta is 0")
		}
		// count = max(0, ceil((l - s) / d))
		diff := new(big.Int).Sub(big.NewInt(l), big.NewInt(s))
		bd := big.NewInt(d)
		q, m := new(big.Int).QuoRem(diff, bd, new(big.Int))
		if m.Sign() != 0 && (m.Sign() > 0) == (bd.Sign() > 0) {
			q.Add(q, big.NewInt(1))
		}
		if q.Sign() < 0 {
			q.SetInt64(0)
		}
		if !q.IsInt64() || q.Int64() > math.MaxInt32 {
			return nil, fmt.Errorf("Range(%d, %d, %d) has %v elements", s, l, d, q)
		}
		n := int(q.Int64())
		if err := checkFold(fmt.Sprintf("Range(%d, %d, %d)", s, l, d), n, true); err != nil {
			return nil, err
		}
		out := make([]int64, n)
		for k := range out {
			out[k] = s + int64(k)*d // between s and l: no overflow
		}
		return newInt([]int{n}, out), nil
	}
	s, _ := start.scalar()
	l, _ := limit.scalar()
	d, _ := delta.scalar()
	for _, v := range []float64{s, l, d} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("Range(%g, %g, %g): start, limit and delta must be finite", s, l, d)
		}
	}
	if d == 0 {
		return nil, fmt.Errorf("delta is 0")
	}
	cnt := math.Max(math.Ceil((l-s)/d), 0)
	if !(cnt <= math.MaxInt32) {
		return nil, fmt.Errorf("Range(%g, %g, %g) has %g elements", s, l, d, cnt)
	}
	n := int(cnt)
	if err := checkFold(fmt.Sprintf("Range(%g, %g, %g)", s, l, d), n, start.isInt); err != nil {
		return nil, err
	}
	if start.isInt {
		out := make([]int64, n)
		for k := range out {
			out[k] = int64(s) + int64(k)*int64(d)
		}
		return newInt([]int{n}, out), nil
	}
	out := make([]float32, n)
	for k := range out {
		out[k] = float32(s + float64(k)*d)
	}
	return newFloat([]int{n}, out), nil
}

// castToInt converts float elements to integers for Cast, refusing NaN and
// ±Inf (C casts leave them undefined; ONNX Runtime gives MinInt64, which
// as a shape or an index is nonsense).
func castToInt(c *cval) (*cval, error) {
	i := make([]int64, len(c.f))
	for k, v := range c.f {
		if v != v || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("casting %v (element %d) to an integer", v, k)
		}
		if math.Abs(float64(v)) >= 1<<63 {
			return nil, fmt.Errorf("casting %v (element %d) overflows int64", v, k)
		}
		i[k] = int64(v) // truncation toward zero, as C casts
	}
	return &cval{shape: c.shape, isInt: true, i: i}, nil
}

// intOverflow reports whether r = x op y wrapped around in int64.
func intOverflow(op string, x, y, r int64) bool {
	switch op {
	case "Add":
		return (x > 0 && y > 0 && r < 0) || (x < 0 && y < 0 && r >= 0)
	case "Sub":
		return (x >= 0 && y < 0 && r < 0) || (x < 0 && y > 0 && r >= 0)
	case "Mul":
		return x != 0 && (r/x != y || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64))
	case "Div":
		return x == math.MinInt64 && y == -1
	}
	return false
}
