"""Exporter outputs mnc cannot run: the importer must refuse them with an error
naming the file and the node or tensor at fault (never panic). They have no
reference output and are not in the manifest."""

import numpy as np
import onnx

import spell as S


def reject_fp16():
    """onnxconverter-common float16 with keep_io_types: Cast to FLOAT16 →
    Conv with float16 weights → Relu → Cast back to FLOAT."""
    b = S.Builder("reject_fp16", 13, np.random.RandomState(71))
    h = b.op("Cast", ["input"], to=onnx.TensorProto.FLOAT16)
    w = b.const(S.conv_weight(b.rng, 4, 3, 3), np.float16)
    c = b.op("Conv", [h, w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    b.op("Cast", [b.op("Relu", [c])], to=onnx.TensorProto.FLOAT)
    return b, [("input", [1, 3, 8, 8])], [1, 4, 8, 8]


def reject_dynamic_hw():
    """torch.onnx with dynamic_axes on height and width too: the input is
    [batch, 3, height, width]."""
    b = S.Builder("reject_dynamic_hw", 13, np.random.RandomState(72))
    w = b.const(S.conv_weight(b.rng, 4, 3, 3))
    b.op("Relu", [b.op("Conv", ["input", w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])])
    return b, [("input", ["batch", 3, "height", "width"])], ["batch", 4, "height", "width"]


def reject_resize():
    """A segmentation head's bilinear upsampling: Resize (opset 13) with
    scales, an operator mnc does not have."""
    b = S.Builder("reject_resize", 13, np.random.RandomState(73))
    w = b.const(S.conv_weight(b.rng, 4, 3, 3))
    c = b.op("Conv", ["input", w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    scales = b.const(np.array([1, 1, 2, 2], np.float32))
    b.op("Resize", [c, "", scales], mode="linear")
    return b, [("input", [1, 3, 8, 8])], [1, 4, 16, 16]


def reject_weight_input():
    """The conv weight is a graph input without an initializer (exported
    with the parameters as inputs), so it is not a constant."""
    b = S.Builder("reject_weight_input", 13, np.random.RandomState(74))
    b.op("Conv", ["input", "weight"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    return b, [("input", [1, 3, 8, 8]), ("weight", [4, 3, 3, 3])], [1, 4, 8, 8]


def reject_ort_fused():
    """An ONNX Runtime-optimised model saved back to disk: Conv+Relu fused
    into com.microsoft FusedConv."""
    b = S.Builder("reject_ort_fused", 13, np.random.RandomState(75))
    w = b.const(S.conv_weight(b.rng, 4, 3, 3))
    b.nodes.append(onnx.helper.make_node("FusedConv", ["input", w], ["output"], name="Conv_0_fused",
                                         domain="com.microsoft", activation="Relu", kernel_shape=[3, 3],
                                         pads=[1, 1, 1, 1]))
    b.extra_opsets = [("com.microsoft", 1)]
    return b, [("input", [1, 3, 8, 8])], [1, 4, 8, 8]


def reject_opset22():
    """A model of default-domain opset 22, newer than the importer knows."""
    b = S.Builder("reject_opset22", 22, np.random.RandomState(76))
    w = b.const(S.conv_weight(b.rng, 4, 3, 3))
    b.op("Relu", [b.op("Conv", ["input", w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])])
    return b, [("input", [1, 3, 8, 8])], [1, 4, 8, 8]


def _external_weight(location):
    """A [1,1,2,2] weight whose data lies in location (bytes 0-16)."""
    w = onnx.TensorProto(name="w", data_type=onnx.TensorProto.FLOAT, dims=[1, 1, 2, 2],
                         data_location=onnx.TensorProto.EXTERNAL)
    for k, v in (("location", location), ("offset", "0"), ("length", "16")):
        e = w.external_data.add()
        e.key, e.value = k, v
    return w


def reject_ext_escape():
    """External data whose location climbs out of the model's directory
    (../../exporters_test.go): an importer must not read files the model
    does not own."""
    b = S.Builder("reject_ext_escape", 13, np.random.RandomState(77))
    b.inits.append(_external_weight("../../exporters_test.go"))
    b.op("Conv", ["input", "w"], kernel_shape=[2, 2])
    b.unchecked = True
    return b, [("input", [1, 1, 4, 4])], [1, 1, 3, 3]


def reject_ext_absolute():
    """External data at an absolute location (/etc/hostname)."""
    b = S.Builder("reject_ext_absolute", 13, np.random.RandomState(78))
    b.inits.append(_external_weight("/etc/hostname"))
    b.op("Conv", ["input", "w"], kernel_shape=[2, 2])
    b.unchecked = True
    return b, [("input", [1, 1, 4, 4])], [1, 1, 3, 3]


def reject_qdq():
    """An ONNX Runtime int8 quantised MobileNet (QDQ format): the input goes
    through QuantizeLinear/DequantizeLinear, the weight is an int8
    initializer behind DequantizeLinear."""
    b = S.Builder("reject_qdq", 13, np.random.RandomState(79))
    scale, zero = b.const(np.array(0.02)), b.const(np.array(0, np.int8), np.int8)
    xq = b.op("DequantizeLinear", [b.op("QuantizeLinear", ["input", scale, zero]), scale, zero])
    wq = (S.conv_weight(b.rng, 4, 3, 3) / 0.02).round().clip(-127, 127).astype(np.int8)
    w = b.op("DequantizeLinear", [b.const(wq, np.int8), scale, zero])
    b.op("Conv", [xq, w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    return b, [("input", [1, 3, 8, 8])], [1, 4, 8, 8]


REJECTS = [reject_fp16, reject_dynamic_hw, reject_resize, reject_weight_input, reject_ort_fused, reject_opset22,
           reject_ext_escape, reject_ext_absolute, reject_qdq]
