package runtime

import (
	"testing"

	"github.com/mnc-go/mnc/kernels"
)

// TestScaleRowsPacked: scaling the rows of packed weights through
// packedRows gives exactly PackGemm of the scaled matrix diag(s)·W (W's
// row p being input channel p), on every available ISA's layout (full and
// partial panels, amd64's k-pair tail panels of at most 8 columns, NEON's
// narrower last panels), odd k included.
func TestScaleRowsPacked(t *testing.T) {
	for _, isa := range kernels.Available() {
		set, err := kernels.ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		for _, nk := range [][2]int{{1, 1}, {3, 5}, {4, 9}, {8, 7}, {16, 9}, {36, 50}, {40, 120}, {41, 33}, {112, 480}, {160, 672}, {24, 72}, {72, 24}} {
			n, k := nk[0], nk[1]
			w, ws, s := make([]float32, n*k), make([]float32, n*k), make([]float32, k)
			for p := range s {
				s[p] = float32(p%7+1) / 8
			}
			for j := 0; j < n; j++ {
				for p := 0; p < k; p++ {
					w[j*k+p] = float32((j*31+p*17)%23) - 11.5
					ws[j*k+p] = w[j*k+p] * s[p]
				}
			}
			size := set.PackedGemmSize(n, k)
			pw, want, got := make([]float32, size), make([]float32, size), make([]float32, size)
			set.PackGemm(pw, w, n, k)
			set.PackGemm(want, ws, n, k)
			for i := range got {
				got[i] = 12345 // every element must be written
			}
			runs := packedRows(set, n, k)
			scaleRows(got, pw, s, runs)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s n=%d k=%d: packed element %d is %g, want %g", isa, n, k, i, got[i], want[i])
				}
			}
			// Split over threads: the runs cut at ranges (splitRuns; the
			// runtime's are whole lines, here any floats too) write the
			// same, each only its range.
			for _, pg := range [][2]int{{2, 1}, {3, 1}, {7, 1}, {3, 16}} {
				parts, grain := pg[0], pg[1]
				for i := range got {
					got[i] = 12345
				}
				for q := 0; q < parts; q++ {
					lo, hi := split(size, grain, q, parts)
					scaleRows(got[lo:hi:hi], pw[lo:hi], s, offsetRuns(splitRuns(runs, lo, hi), -lo))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s n=%d k=%d in %d parts: packed element %d is %g, want %g", isa, n, k, parts, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// offsetRuns moves runs by d floats (a part's runs onto the part alone,
// so that a write outside it would panic).
func offsetRuns(runs []int32, d int) []int32 {
	out := append([]int32(nil), runs...)
	for i := 0; i+3 < len(out); i += 4 {
		out[i] += int32(d)
		out[i+1] += int32(d)
	}
	return out
}
