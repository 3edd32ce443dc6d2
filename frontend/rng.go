package frontend

import (
	"hash/fnv"
	"math"
)

// rng is a small splitmix64 generator. Every constant gets its own stream,
// seeded from the model seed and the constant's name, so a tensor's values do
// not depend on the order in which the graph was built (a description file
// and a Go builder naming the same layers get the same weights).
type rng struct{ s uint64 }

func newRNG(seed uint64, name string) *rng {
	h := fnv.New64a()
	h.Write([]byte(name))
	r := &rng{s: seed ^ h.Sum64()}
	r.next() // decorrelate nearby seeds
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// uniform returns a float64 in [0, 1).
func (r *rng) uniform() float64 { return float64(r.next()>>11) / (1 << 53) }

// normal returns a standard normal deviate (Box–Muller).
func (r *rng) normal() float64 {
	u1 := r.uniform()
	for u1 == 0 {
		u1 = r.uniform()
	}
	u2 := r.uniform()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// SeedOf hashes a model spec or name into a weight seed.
func SeedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
