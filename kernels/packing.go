package kernels

import "fmt"

// PackingVersion numbers the weight-packing layouts. Raise it whenever a
// Pack* function or the meaning of a packed blob changes, so plans packed
// the old way are refused instead of run on weights laid out differently.
const PackingVersion = 2 // 2: pixel-vector convs (conv_pix_amd64.go)

// Packing names the layout this set's Pack* functions write: the ISA, the
// GEMM panel width and micro-tile height, and PackingVersion. A plan
// records it for its blobs, and the runtime runs a plan only with kernels
// whose Packing is the same (a plan whose ISA was relabelled would
// otherwise run weights packed for other tiles).
func (s *Set) Packing() string {
	return fmt.Sprintf("%s/nr%d/mr%d/v%d", s.ISA, s.NR, s.RowQuantum, PackingVersion)
}
