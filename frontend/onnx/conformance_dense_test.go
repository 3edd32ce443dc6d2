package onnx

const (
	skipCubic = "cubic Resize is refused by name (TestResizeRefusals)"
	skipCrop  = "tf_crop_and_resize is refused by name (TestResizeRefusals)"
)

// denseConfCases are the Resize, Upsample and ConvTranspose cases of
// libonnx-testdata.
var denseConfCases = func() []confCase {
	rs := []string{"roi", "scales", "sizes"}
	cs := []confCase{
		{name: "test_upsample_nearest", consts: []string{"scales"}},
		{name: "test_resize_tf_crop_and_resize", skip: skipCrop},
		{name: "test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn", skip: "tf_half_pixel_for_nn (removed in opset 13) is refused by name"},
		{name: "test_convtranspose_1d", skip: "1-D ConvTranspose: mnc's convolutions are 2-D (NCHW)"},
		{name: "test_convtranspose_3d", skip: "3-D ConvTranspose: mnc's convolutions are 2-D (NCHW)"},
	}
	for _, n := range []string{"downsample_scales_linear", "downsample_scales_linear_align_corners", "downsample_scales_nearest",
		"downsample_sizes_linear_pytorch_half_pixel", "downsample_sizes_nearest",
		"upsample_scales_linear", "upsample_scales_linear_align_corners", "upsample_scales_nearest", "upsample_sizes_nearest",
		"upsample_sizes_nearest_ceil_half_pixel", "upsample_sizes_nearest_floor_align_corners",
		"upsample_sizes_nearest_round_prefer_ceil_asymmetric"} {
		cs = append(cs, confCase{name: "test_resize_" + n, consts: rs})
	}
	for _, n := range []string{"downsample_scales_cubic", "downsample_scales_cubic_A_n0p5_exclude_outside",
		"downsample_scales_cubic_align_corners", "downsample_sizes_cubic", "upsample_scales_cubic",
		"upsample_scales_cubic_A_n0p5_exclude_outside", "upsample_scales_cubic_align_corners",
		"upsample_scales_cubic_asymmetric", "upsample_sizes_cubic"} {
		cs = append(cs, confCase{name: "test_resize_" + n, skip: skipCubic})
	}
	for _, n := range []string{"", "_autopad_same", "_dilations", "_kernel_shape", "_output_shape", "_pad", "_pads", "_with_kernel"} {
		cs = append(cs, confCase{name: "test_convtranspose" + n, consts: []string{"W", "B", "w"}})
	}
	for _, n := range []string{"default_axis", "keepdims", "negative_axis_keepdims", "no_keepdims"} {
		for _, k := range []string{"example", "random"} {
			cs = append(cs, confCase{name: "test_argmax_" + n + "_" + k}, confCase{name: "test_argmax_" + n + "_" + k + "_select_last_index"})
		}
	}
	return cs
}()
