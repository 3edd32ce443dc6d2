package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
	"google.golang.org/protobuf/proto"
)

// onnxNodeTests is where Debian's libonnx-testdata (ONNX 1.12) installs
// ONNX's per-operator conformance cases.
const onnxNodeTests = "/usr/share/libonnx-testdata/data/node"

// Conformance tolerance: |got − want| ≤ atol + rtol·|want| per element.
const (
	confRtol = 1e-4
	confAtol = 1e-5
)

// confCase is one ONNX node test. mnc needs shape-like arguments (Reshape
// targets, axes, pads, Clip bounds, Gather indices) and Conv/BatchNorm
// weights at import time, while the tests feed them as graph inputs: consts names the inputs the harness
// turns into initializers holding the test's values ("*" for all of them,
// for ops mnc only folds). asFloat feeds integer data as float32 (exact for
// these values). opset overrides the model's opset for ops whose semantics
// did not change since an opset older than mnc's minimum of 7.
type confCase struct {
	name    string
	consts  []string
	asFloat bool
	opset   int64
	skip    string
}

const (
	skipDtype    = "element type outside mnc's float32 IR"
	skipWrap     = "uint8 arithmetic wraps or floors; mnc computes in float32"
	skipRank     = "1-D/3-D pooling: mnc's pools are 2-D (NCHW)"
	skipTraining = "training mode: mnc imports inference graphs"
	skipCastLike = "CastLike expansion reads a typed 'like' input outside float32"
	skipMinMax   = "Min/Max are imported only as Min/Max(x, one-value constant), the ReLU/ReLU6 spelling; these are elementwise of runtime tensors"
)

// confCases lists every libonnx-testdata case whose nodes are all ops the
// importer supports.
var confCases = []confCase{
	{name: "test_add"}, {name: "test_add_bcast"}, {name: "test_add_uint8", skip: skipWrap},
	{name: "test_averagepool_1d_default", skip: skipRank},
	{name: "test_averagepool_2d_ceil"}, {name: "test_averagepool_2d_default"}, {name: "test_averagepool_2d_pads"},
	{name: "test_averagepool_2d_pads_count_include_pad"}, {name: "test_averagepool_2d_precomputed_pads"},
	{name: "test_averagepool_2d_precomputed_pads_count_include_pad"}, {name: "test_averagepool_2d_precomputed_same_upper"},
	{name: "test_averagepool_2d_precomputed_strides"}, {name: "test_averagepool_2d_same_lower"},
	{name: "test_averagepool_2d_same_upper"}, {name: "test_averagepool_2d_strides"},
	{name: "test_averagepool_3d_default", skip: skipRank},
	{name: "test_basic_conv_with_padding", consts: []string{"W"}}, {name: "test_basic_conv_without_padding", consts: []string{"W"}},
	{name: "test_batchnorm_epsilon", consts: []string{"s", "bias", "mean", "var"}}, {name: "test_batchnorm_epsilon_training_mode", skip: skipTraining},
	{name: "test_batchnorm_example", consts: []string{"s", "bias", "mean", "var"}}, {name: "test_batchnorm_example_training_mode", skip: skipTraining},
	{name: "test_cast_BFLOAT16_to_FLOAT", skip: skipDtype}, {name: "test_cast_DOUBLE_to_FLOAT", asFloat: true},
	{name: "test_cast_DOUBLE_to_FLOAT16", skip: skipDtype}, {name: "test_cast_FLOAT16_to_DOUBLE", skip: skipDtype},
	{name: "test_cast_FLOAT16_to_FLOAT", skip: skipDtype}, {name: "test_cast_FLOAT_to_BFLOAT16", skip: skipDtype},
	{name: "test_cast_FLOAT_to_DOUBLE"}, {name: "test_cast_FLOAT_to_FLOAT16", skip: skipDtype},
	{name: "test_cast_FLOAT_to_STRING", skip: skipDtype}, {name: "test_cast_STRING_to_FLOAT", skip: skipDtype},
	{name: "test_castlike_BFLOAT16_to_FLOAT_expanded", skip: skipCastLike},
	{name: "test_castlike_DOUBLE_to_FLOAT16_expanded", skip: skipCastLike},
	{name: "test_castlike_DOUBLE_to_FLOAT_expanded", skip: skipCastLike},
	{name: "test_castlike_FLOAT16_to_DOUBLE_expanded", skip: skipCastLike},
	{name: "test_castlike_FLOAT16_to_FLOAT_expanded", skip: skipCastLike},
	{name: "test_castlike_FLOAT_to_BFLOAT16_expanded", skip: skipCastLike},
	{name: "test_castlike_FLOAT_to_DOUBLE_expanded", skip: skipCastLike},
	{name: "test_castlike_FLOAT_to_FLOAT16_expanded", skip: skipCastLike},
	{name: "test_castlike_FLOAT_to_STRING_expanded", skip: skipCastLike},
	{name: "test_castlike_STRING_to_FLOAT_expanded", skip: skipCastLike},
	{name: "test_clip", consts: []string{"min", "max"}}, {name: "test_clip_default_inbounds"},
	{name: "test_clip_default_int8_inbounds", skip: skipDtype}, {name: "test_clip_default_int8_max", skip: skipDtype},
	{name: "test_clip_default_int8_min", skip: skipDtype},
	{name: "test_clip_default_max", consts: []string{"max"}}, {name: "test_clip_default_min", consts: []string{"min"}},
	{name: "test_clip_example", consts: []string{"min", "max"}}, {name: "test_clip_inbounds", consts: []string{"min", "max"}},
	{name: "test_clip_outbounds", consts: []string{"min", "max"}}, {name: "test_clip_splitbounds", consts: []string{"min", "max"}},
	{name: "test_concat_1d_axis_0"}, {name: "test_concat_1d_axis_negative_1"}, {name: "test_concat_2d_axis_0"},
	{name: "test_concat_2d_axis_1"}, {name: "test_concat_2d_axis_negative_1"}, {name: "test_concat_2d_axis_negative_2"},
	{name: "test_concat_3d_axis_0"}, {name: "test_concat_3d_axis_1"}, {name: "test_concat_3d_axis_2"},
	{name: "test_concat_3d_axis_negative_1"}, {name: "test_concat_3d_axis_negative_2"}, {name: "test_concat_3d_axis_negative_3"},
	{name: "test_constant"}, {name: "test_constant_pad", consts: []string{"pads", "value"}},
	{name: "test_constantofshape_float_ones", consts: []string{"*"}}, {name: "test_constantofshape_int_shape_zero", consts: []string{"*"}},
	{name: "test_constantofshape_int_zeros", consts: []string{"*"}},
	{name: "test_conv_with_autopad_same", consts: []string{"W"}}, {name: "test_conv_with_strides_and_asymmetric_padding", consts: []string{"W"}},
	{name: "test_conv_with_strides_no_padding", consts: []string{"W"}}, {name: "test_conv_with_strides_padding", consts: []string{"W"}},
	{name: "test_div"}, {name: "test_div_bcast"}, {name: "test_div_example"}, {name: "test_div_uint8", skip: skipWrap},
	{name: "test_dropout_default"}, {name: "test_dropout_default_mask", skip: "Dropout's mask output (training information) is not computed"},
	{name: "test_dropout_default_mask_ratio", skip: "Dropout's mask output (training information) is not computed"},
	{name: "test_dropout_default_old"}, {name: "test_dropout_default_ratio"}, {name: "test_dropout_random_old"},
	{name: "test_edge_pad", consts: []string{"pads"}, asFloat: true},
	{name: "test_flatten_axis0"}, {name: "test_flatten_axis1"}, {name: "test_flatten_axis2"}, {name: "test_flatten_axis3"},
	{name: "test_flatten_default_axis"}, {name: "test_flatten_negative_axis1"}, {name: "test_flatten_negative_axis2"},
	{name: "test_flatten_negative_axis3"}, {name: "test_flatten_negative_axis4"},
	{name: "test_gather_0", consts: []string{"*"}}, {name: "test_gather_1", consts: []string{"*"}},
	{name: "test_gather_2d_indices", consts: []string{"*"}}, {name: "test_gather_negative_indices", consts: []string{"*"}},
	{name: "test_gemm_all_attributes"}, {name: "test_gemm_alpha"}, {name: "test_gemm_beta"},
	{name: "test_gemm_default_matrix_bias"}, {name: "test_gemm_default_no_bias"}, {name: "test_gemm_default_scalar_bias"},
	{name: "test_gemm_default_single_elem_vector_bias"}, {name: "test_gemm_default_vector_bias"},
	{name: "test_gemm_default_zero_bias"}, {name: "test_gemm_transposeA"}, {name: "test_gemm_transposeB"},
	{name: "test_globalaveragepool", opset: 7}, {name: "test_globalaveragepool_precomputed", opset: 7},
	{name: "test_hardsigmoid", opset: 7}, {name: "test_hardsigmoid_default", opset: 7}, {name: "test_hardsigmoid_example", opset: 7},
	{name: "test_hardswish"}, {name: "test_hardswish_expanded"},
	{name: "test_leakyrelu"}, {name: "test_leakyrelu_default"}, {name: "test_leakyrelu_example"},
	{name: "test_prelu_broadcast"}, {name: "test_prelu_example"},
	{name: "test_identity"}, {name: "test_identity_opt", skip: "optional type"}, {name: "test_identity_sequence", skip: "sequence type"},
	{name: "test_matmul_2d"}, {name: "test_matmul_3d"}, {name: "test_matmul_4d"},
	{name: "test_maxpool_1d_default", skip: skipRank},
	{name: "test_maxpool_2d_ceil"}, {name: "test_maxpool_2d_default"}, {name: "test_maxpool_2d_dilations"},
	{name: "test_maxpool_2d_pads"}, {name: "test_maxpool_2d_precomputed_pads"}, {name: "test_maxpool_2d_precomputed_same_upper"},
	{name: "test_maxpool_2d_precomputed_strides"}, {name: "test_maxpool_2d_same_lower"}, {name: "test_maxpool_2d_same_upper"},
	{name: "test_maxpool_2d_strides"}, {name: "test_maxpool_2d_uint8", asFloat: true},
	{name: "test_maxpool_3d_default", skip: skipRank},
	{name: "test_maxpool_with_argmax_2d_precomputed_pads", skip: "MaxPool's Indices output is not computed"},
	{name: "test_maxpool_with_argmax_2d_precomputed_strides", skip: "MaxPool's Indices output is not computed"},
	{name: "test_max_example", skip: skipMinMax}, {name: "test_max_float16", skip: skipMinMax}, {name: "test_max_float32", skip: skipMinMax},
	{name: "test_max_float64", skip: skipMinMax}, {name: "test_max_int16", skip: skipMinMax}, {name: "test_max_int32", skip: skipMinMax},
	{name: "test_max_int64", skip: skipMinMax}, {name: "test_max_int8", skip: skipMinMax}, {name: "test_max_one_input", skip: skipMinMax},
	{name: "test_max_two_inputs", skip: skipMinMax}, {name: "test_max_uint16", skip: skipMinMax}, {name: "test_max_uint32", skip: skipMinMax},
	{name: "test_max_uint64", skip: skipMinMax}, {name: "test_max_uint8", skip: skipMinMax}, {name: "test_min_example", skip: skipMinMax},
	{name: "test_min_float16", skip: skipMinMax}, {name: "test_min_float32", skip: skipMinMax}, {name: "test_min_float64", skip: skipMinMax},
	{name: "test_min_int16", skip: skipMinMax}, {name: "test_min_int32", skip: skipMinMax}, {name: "test_min_int64", skip: skipMinMax},
	{name: "test_min_int8", skip: skipMinMax}, {name: "test_min_one_input", skip: skipMinMax}, {name: "test_min_two_inputs", skip: skipMinMax},
	{name: "test_min_uint16", skip: skipMinMax}, {name: "test_min_uint32", skip: skipMinMax}, {name: "test_min_uint64", skip: skipMinMax},
	{name: "test_min_uint8", skip: skipMinMax},
	{name: "test_mul"}, {name: "test_mul_bcast"}, {name: "test_mul_example"}, {name: "test_mul_uint8", skip: skipWrap},
	{name: "test_range_float_type_positive_delta", consts: []string{"*"}},
	{name: "test_range_int32_type_negative_delta", consts: []string{"*"}},
	{name: "test_reduce_mean_default_axes_keepdims_example"}, {name: "test_reduce_mean_default_axes_keepdims_random"},
	{name: "test_reduce_mean_do_not_keepdims_example"}, {name: "test_reduce_mean_do_not_keepdims_random"},
	{name: "test_reduce_mean_keepdims_example"}, {name: "test_reduce_mean_keepdims_random"},
	{name: "test_reduce_mean_negative_axes_keepdims_example"}, {name: "test_reduce_mean_negative_axes_keepdims_random"},
	{name: "test_reflect_pad", consts: []string{"pads"}, asFloat: true},
	{name: "test_relu"},
	{name: "test_reshape_allowzero_reordered", skip: "allowzero=1 (zero-size dimensions) is not supported"},
	{name: "test_reshape_extended_dims", consts: []string{"shape"}}, {name: "test_reshape_negative_dim", consts: []string{"shape"}},
	{name: "test_reshape_negative_extended_dims", consts: []string{"shape"}}, {name: "test_reshape_one_dim", consts: []string{"shape"}},
	{name: "test_reshape_reduced_dims", consts: []string{"shape"}}, {name: "test_reshape_reordered_all_dims", consts: []string{"shape"}},
	{name: "test_reshape_reordered_last_dims", consts: []string{"shape"}},
	{name: "test_reshape_zero_and_negative_dim", consts: []string{"shape"}}, {name: "test_reshape_zero_dim", consts: []string{"shape"}},
	{name: "test_shape"}, {name: "test_shape_clip_end"}, {name: "test_shape_clip_start"}, {name: "test_shape_end_1"},
	{name: "test_shape_end_negative_1"}, {name: "test_shape_example"}, {name: "test_shape_start_1"},
	{name: "test_shape_start_1_end_2"}, {name: "test_shape_start_1_end_negative_1"}, {name: "test_shape_start_negative_1"},
	{name: "test_sigmoid"}, {name: "test_sigmoid_example"}, {name: "test_size"}, {name: "test_size_example"},
	{name: "test_slice", consts: []string{"*"}}, {name: "test_slice_default_axes", consts: []string{"*"}},
	{name: "test_slice_default_steps", consts: []string{"*"}}, {name: "test_slice_end_out_of_bounds", consts: []string{"*"}},
	{name: "test_slice_neg", consts: []string{"*"}}, {name: "test_slice_neg_steps", consts: []string{"*"}},
	{name: "test_slice_negative_axes", consts: []string{"*"}}, {name: "test_slice_start_out_of_bounds", consts: []string{"*"}},
	{name: "test_softmax_axis_0"}, {name: "test_softmax_axis_1"}, {name: "test_softmax_axis_2"},
	{name: "test_softmax_default_axis"}, {name: "test_softmax_example"}, {name: "test_softmax_large_number"},
	{name: "test_softmax_negative_axis"},
	{name: "test_squeeze", consts: []string{"axes"}}, {name: "test_squeeze_negative_axes", consts: []string{"axes"}},
	{name: "test_sub"}, {name: "test_sub_bcast"}, {name: "test_sub_example"}, {name: "test_sub_uint8", skip: skipWrap},
	{name: "test_training_dropout", skip: skipTraining}, {name: "test_training_dropout_default", skip: skipTraining},
	{name: "test_training_dropout_default_mask", skip: skipTraining}, {name: "test_training_dropout_mask", skip: skipTraining},
	{name: "test_training_dropout_zero_ratio", skip: skipTraining},
	{name: "test_training_dropout_zero_ratio_mask", skip: skipTraining},
	{name: "test_transpose_all_permutations_0"}, {name: "test_transpose_all_permutations_1"},
	{name: "test_transpose_all_permutations_2"}, {name: "test_transpose_all_permutations_3"},
	{name: "test_transpose_all_permutations_4"}, {name: "test_transpose_all_permutations_5"}, {name: "test_transpose_default"},
	{name: "test_unsqueeze_axis_0", consts: []string{"axes"}}, {name: "test_unsqueeze_axis_1", consts: []string{"axes"}},
	{name: "test_unsqueeze_axis_2", consts: []string{"axes"}}, {name: "test_unsqueeze_axis_3"},
	{name: "test_unsqueeze_negative_axes", consts: []string{"axes"}}, {name: "test_unsqueeze_three_axes", consts: []string{"axes"}},
	{name: "test_unsqueeze_two_axes", consts: []string{"axes"}}, {name: "test_unsqueeze_unsorted_axes", consts: []string{"axes"}},
	// quantized operators (ir/quant.go); integer inputs become constants
	{name: "test_basic_convinteger", consts: []string{"*"}}, {name: "test_convinteger_with_padding", consts: []string{"*"}},
	{name: "test_convinteger_without_padding", consts: []string{"*"}}, {name: "test_dequantizelinear", consts: []string{"*"}},
	{name: "test_dequantizelinear_axis", consts: []string{"*"}}, {name: "test_dynamicquantizelinear", asFloat: true},
	{name: "test_dynamicquantizelinear_max_adjusted", asFloat: true}, {name: "test_dynamicquantizelinear_min_adjusted", asFloat: true},
	{name: "test_matmulinteger", consts: []string{"*"}}, {name: "test_qlinearconv", consts: []string{"*"}},
	{name: "test_qlinearmatmul_2D", consts: []string{"*"}}, {name: "test_qlinearmatmul_3D", consts: []string{"*"}},
	{name: "test_quantizelinear", consts: []string{"*"}}, {name: "test_quantizelinear_axis", consts: []string{"*"}},
}

func init() { confCases = append(confCases, denseConfCases...) }

// TestONNXConformance runs ONNX's node tests through Read and the
// reference executor and compares with the expected outputs; each imported
// case is also exported and re-imported, which must not change its outputs.
func TestONNXConformance(t *testing.T) {
	if _, err := os.Stat(onnxNodeTests); err != nil {
		t.Skipf("%s is absent (install Debian's libonnx-testdata): %v", onnxNodeTests, err)
	}
	for _, c := range confCases {
		t.Run(c.name, func(t *testing.T) {
			if c.skip != "" {
				t.Skip(c.skip)
			}
			dir := filepath.Join(onnxNodeTests, c.name)
			sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
			if len(sets) == 0 {
				t.Fatalf("%s has no test_data_set_*", dir)
			}
			for _, set := range sets {
				runConfSet(t, c, dir, set)
			}
		})
	}
}

func readTensorPB(t *testing.T, path string) *pb.TensorProto {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tp := &pb.TensorProto{}
	if err := proto.Unmarshal(b, tp); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tp
}

func runConfSet(t *testing.T, c confCase, dir, set string) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m := &pb.ModelProto{}
	if err := proto.Unmarshal(data, m); err != nil {
		t.Fatal(err)
	}
	if c.opset != 0 {
		m.OpsetImport = []*pb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(c.opset)}}
	}
	promote := map[string]bool{}
	for _, n := range c.consts {
		promote[n] = true
	}
	feeds := map[string]*ir.Tensor{}
	var inputs []*pb.ValueInfoProto
	for k, in := range m.Graph.Input {
		tp := readTensorPB(t, filepath.Join(set, fmt.Sprintf("input_%d.pb", k)))
		if promote["*"] || promote[in.GetName()] {
			tp.Name = proto.String(in.GetName())
			m.Graph.Initializer = append(m.Graph.Initializer, tp)
			continue
		}
		cv, err := decodeTensor(tp, "")
		if err != nil {
			t.Fatalf("input %d: %v", k, err)
		}
		if c.asFloat {
			in.GetType().GetTensorType().ElemType = proto.Int32(int32(pb.TensorProto_FLOAT))
		}
		feeds[in.GetName()] = cv.tensor()
		inputs = append(inputs, in)
	}
	m.Graph.Input = inputs
	data, err = proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Read(c.name+"/model.onnx", data, dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := reference.Run(g, feeds, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Export coverage: the case written by Write and read back computes
	// bit-identical outputs.
	h := roundTrip(t, g)
	again, err := reference.Run(h, feeds, nil)
	if err != nil {
		t.Fatalf("after Write → Read: %v", err)
	}
	for name, v := range out {
		if ok, msg := reference.Close(again[name], v, 0); !ok {
			t.Errorf("output %q changes after Write → Read: %s", name, msg)
		}
	}
	for k, o := range m.Graph.Output {
		want, err := decodeTensor(readTensorPB(t, filepath.Join(set, fmt.Sprintf("output_%d.pb", k))), "")
		if err != nil {
			t.Fatalf("output %d: %v", k, err)
		}
		got := out[o.GetName()]
		if got == nil {
			t.Fatalf("%s: output %q missing", filepath.Base(set), o.GetName())
		}
		if !got.Shape.Equal(want.shape) {
			t.Fatalf("%s: output %q shape %v, want %v", filepath.Base(set), o.GetName(), got.Shape, ir.Shape(want.shape))
		}
		for i, w := range want.floats() {
			if d := math.Abs(float64(got.Data[i]) - float64(w)); !(d <= confAtol+confRtol*math.Abs(float64(w))) && !(math.IsNaN(float64(w)) && got.Data[i] != got.Data[i]) {
				t.Fatalf("%s: output %q[%d] = %g, want %g", filepath.Base(set), o.GetName(), i, got.Data[i], w)
			}
		}
	}
}

// TestConformanceTableComplete: every libonnx-testdata case made only of
// operators the importer supports is listed in confCases (run or skipped
// with a reason), so adding an operator brings its cases in.
func TestConformanceTableComplete(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(onnxNodeTests, "test_*"))
	if len(dirs) == 0 {
		t.Skipf("%s is absent (install Debian's libonnx-testdata)", onnxNodeTests)
	}
	listed := map[string]bool{}
	for _, c := range confCases {
		listed[c.name] = true
	}
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "model.onnx"))
		if err != nil {
			continue
		}
		m := &pb.ModelProto{}
		if err := proto.Unmarshal(data, m); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if checkSupported(m.GetGraph()) == nil && !listed[filepath.Base(d)] {
			t.Errorf("%s uses only supported operators but is not in confCases", filepath.Base(d))
		}
	}
}
