package onnx

// sliceConfCases are libonnx-testdata's Slice cases with the data fed as
// an activation (an IR Slice node; confCases folds them on constants) and
// its Split cases.
var sliceConfCases = func() []confCase {
	var cs []confCase
	for _, n := range []string{"", "_default_axes", "_default_steps", "_end_out_of_bounds", "_neg", "_neg_steps", "_negative_axes", "_start_out_of_bounds"} {
		cs = append(cs, confCase{name: "test_slice" + n, consts: []string{"starts", "ends", "axes", "steps"}})
	}
	for _, n := range []string{"equal_parts_1d", "equal_parts_2d", "equal_parts_default_axis", "variable_parts_1d", "variable_parts_2d",
		"variable_parts_default_axis"} {
		cs = append(cs, confCase{name: "test_split_" + n, consts: []string{"split"}})
	}
	return append(cs, confCase{name: "test_split_zero_size_splits", skip: "an empty input (a zero-length axis): mnc's activations have none"})
}()

func init() { confCases = append(confCases, sliceConfCases...) }
