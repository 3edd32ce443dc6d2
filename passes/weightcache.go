package passes

import (
	"hash/fnv"
	"math"
	"strconv"
	"sync"

	"github.com/mnc-go/mnc/ir"
)

// WeightCache carries what compiling does to weights from one compile of
// a model to the next: a model served at a new input shape (mnc.Model)
// is compiled again, but its folded and packed weights do not depend on
// the shape. Entries are keyed by the identity of the source data (the
// first element's address and the length; the entry keeps the source
// alive, and IR constants are never mutated, so the same address means the
// same values) and by the transformation with its parameters. It holds at
// most weightCacheMax bytes of results; beyond that, results are computed
// and not kept. Safe for concurrent compiles.
type WeightCache struct {
	mu    sync.Mutex
	m     map[weightKey]*weightEntry
	bytes int64
	hits  int
}

type weightKey struct {
	src  *float32
	n    int
	what string
}

type weightEntry struct {
	src  []float32 // keeps the source's address from being reused
	data []float32
}

const weightCacheMax = 512 << 20

// NewWeightCache returns an empty cache.
func NewWeightCache() *WeightCache { return &WeightCache{m: map[weightKey]*weightEntry{}} }

// Hits is how many results came from the cache.
func (c *WeightCache) Hits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// get returns the cached result of transformation what on src, computing
// and keeping it when new. A nil cache computes every time.
func (c *WeightCache) get(src []float32, what string, f func() ([]float32, error)) ([]float32, error) {
	if c == nil || len(src) == 0 {
		return f()
	}
	k := weightKey{&src[0], len(src), what}
	c.mu.Lock()
	if e, ok := c.m[k]; ok {
		c.hits++
		c.mu.Unlock()
		return e.data, nil
	}
	c.mu.Unlock()
	data, err := f()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.bytes+4*int64(len(data)) <= weightCacheMax {
		if _, ok := c.m[k]; !ok {
			c.m[k] = &weightEntry{src: src, data: data}
			c.bytes += 4 * int64(len(data))
		}
	}
	c.mu.Unlock()
	return data, nil
}

// hashFloats64 names a per-channel scale in a cache key.
func hashFloats64(v []float64) string {
	h := fnv.New64a()
	b := make([]byte, 8)
	for _, x := range v {
		u := math.Float64bits(x)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b)
	}
	return strconv.FormatUint(h.Sum64(), 16) + "/" + strconv.Itoa(len(v))
}

// cachedTensor is t's transformation what through c, as a tensor of t's
// shape.
func (c *WeightCache) cachedTensor(t *ir.Tensor, what string, f func() *ir.Tensor) *ir.Tensor {
	var shape ir.Shape
	data, _ := c.get(t.Data, what, func() ([]float32, error) {
		r := f()
		shape = r.Shape
		return r.Data, nil
	})
	if shape == nil {
		shape = t.Shape.Clone()
	}
	return &ir.Tensor{Shape: shape, Data: data}
}
