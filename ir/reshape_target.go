package ir

import "fmt"

// ReshapeTarget is a Reshape target giving shape want for an input of shape
// have when some dimensions are unknown: a single unknown dimension is
// inferred (-1); with several, those at the same position as an unknown
// input dimension are copied (0) and one other is inferred.
func ReshapeTarget(want, have Shape) ([]int, error) {
	t := append([]int{}, want...)
	unknown := 0
	for _, d := range t {
		if d < 0 {
			unknown++
		}
	}
	inferred := false
	for k, d := range t {
		if d >= 0 {
			continue
		}
		if unknown > 1 && k < len(have) && have[k] < 0 {
			t[k] = 0
			continue
		}
		if inferred {
			return nil, fmt.Errorf("cannot express shape %v from %v with one unknown dimension", want, have)
		}
		t[k], inferred = -1, true
	}
	return t, nil
}
