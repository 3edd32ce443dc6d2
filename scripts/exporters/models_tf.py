"""Models spelled as tf2onnx writes Keras models: NHWC inputs, Transposes around
every Conv or only at the edges, NHWC-native elementwise ops and reductions."""

import numpy as np

import nputil as F
import spell as S
from common import CLASSES, TF2ONNX, inp
from spell import T


def to_nchw(b, t):
    return T(b.op("Transpose", [t.name], perm=[0, 3, 1, 2]), t.val.transpose(0, 3, 1, 2))


def to_nhwc(b, t):
    return T(b.op("Transpose", [t.name], perm=[0, 2, 3, 1]), t.val.transpose(0, 2, 3, 1))


def tf_nhwc_edge():
    """tf2onnx opset 13 of a Keras model converted with --inputs-as-nchw off:
    NHWC input → one Transpose → NCHW SAME_UPPER convs with bias (BN folded)
    → Clip(0,6) → Transpose back → ReduceMean(axes [1,2], keepdims 0) →
    MatMul + Add."""
    b = S.Builder("tf_nhwc_edge", 13, np.random.RandomState(21), names="tf")
    x = inp("input_1", [1, 32, 32, 3], 1)
    t = to_nchw(b, x)
    t = S.relu6(b, S.conv(b, t, 16, 3, s=2, pad="same_upper", bias=True))
    t = S.relu6(b, S.conv(b, t, 16, 3, group=16, pad="same_upper", bias=True))
    t = S.relu6(b, S.conv(b, t, 24, 1, pad="same_upper", bias=True))
    t = S.relu6(b, S.conv(b, t, 24, 3, s=2, group=24, pad="same_upper", bias=True))
    t = S.relu6(b, S.conv(b, t, 32, 1, bias=True))
    t = S.reduce_mean(b, to_nhwc(b, t), [1, 2], 0)
    y = S.matmul_add(b, t, CLASSES)
    return b, [x], [("input_1", [1, 32, 32, 3])], y, [1, CLASSES], TF2ONNX, 7, {"out_name": "Identity:0"}


def tf_conv(b, t, m, k, s=1, group=1):
    """tf2onnx's Conv2D in NHWC: Transpose → Conv(SAME_UPPER) → Transpose,
    then BN as Mul/Add by [C] constants broadcasting on the last axis."""
    y = to_nhwc(b, S.conv(b, to_nchw(b, t), m, k, s=s, group=group, pad="same_upper"))
    scale = b.rng.uniform(0.5, 1.5, m).astype(np.float32)
    shift = b.rng.uniform(-0.2, 0.2, m).astype(np.float32)
    y = T(b.op("Mul", [y.name, b.const(scale)]), y.val * scale)
    return T(b.op("Add", [y.name, b.const(shift)]), y.val + shift)


def tf_nhwc_wrapped():
    """tf2onnx opset 13 without layout optimisation, symbolic batch "unk__7":
    every Conv wrapped in Transposes, NHWC-native Mul/Add/Clip between,
    depthwise as group=C, a residual Add in NHWC, h-swish as
    (x·Relu6(x+3))·0.16666667, ReduceMean(axes [1,2], keepdims 1) →
    Squeeze(axes [1,2]) → MatMul + Add."""
    b = S.Builder("tf_nhwc_wrapped", 13, np.random.RandomState(22), names="tf")
    shape = ["unk__7", 32, 32, 3]
    x = inp("input_1", shape, 3)
    t = S.relu6(b, tf_conv(b, x, 16, 3, s=2))
    skip = t
    t = S.relu6(b, tf_conv(b, t, 48, 1))
    t = S.relu6(b, tf_conv(b, t, 48, 3, group=48))
    t = S.add(b, skip, tf_conv(b, t, 16, 1))
    t = S.hswish(b, tf_conv(b, t, 32, 1), "mul16")
    t = S.squeeze(b, S.reduce_mean(b, t, [1, 2], 1), [1, 2])
    y = S.matmul_add(b, t, CLASSES)
    return b, [x], [("input_1", shape)], y, ["unk__7", CLASSES], TF2ONNX, 7, {"out_name": "Identity:0"}


def tf_variants():
    """tf2onnx opset 13, symbolic batch "unk__3" in, "unk__4" out: nodes
    without names, auto_pad VALID and SAME_UPPER, a Keras
    AveragePooling2D over the whole 4×4 map instead of a global pool,
    Reshape to Concat(Slice(Shape(x), [0], [1]), [-1]), an "ai.onnx.ml"
    opset import, MatMul + Add head, output through Identity."""
    b = S.Builder("tf_variants", 13, np.random.RandomState(23), names="tf")
    b.anonymous = True
    shape = ["unk__3", 18, 18, 3]
    x = inp("input_1", shape, 3)
    t = to_nchw(b, x)
    t = S.relu6(b, S.conv(b, t, 16, 3, s=2, pad=(0, 0, 0, 0), bias=True, auto_pad="VALID"))
    t = S.relu6(b, S.conv(b, t, 16, 3, s=2, group=16, pad="same_upper", bias=True))
    t = S.relu6(b, S.conv(b, t, 24, 1, bias=True))
    t = T(b.op("AveragePool", [t.name], kernel_shape=[4, 4], strides=[4, 4]), F.gap(t.val))
    t = to_nhwc(b, t)
    shp = b.op("Shape", [t.name])
    n = b.op("Slice", [shp, b.const(np.array([0]), np.int64), b.const(np.array([1]), np.int64)])
    target = b.op("Concat", [n, b.const(np.array([-1]), np.int64)], axis=0)
    t = T(b.op("Reshape", [t.name, target]), t.val.reshape(t.val.shape[0], -1))
    t = S.matmul_add(b, t, CLASSES)
    y = T(b.op("Identity", [t.name]), t.val)
    return b, [x], [("input_1", shape)], y, ["unk__4", CLASSES], TF2ONNX, 7, {
        "out_name": "Identity:0", "extra_opsets": [("ai.onnx.ml", 2)]}


def tf_v3_se():
    """tf2onnx opset 13 of a Keras MobileNetV3-style block in NHWC, static
    batch 2: Rescaling as Mul·2 then Add −1 on the NHWC input;
    ZeroPadding2D as an NHWC Pad ((0,1),(0,1)) before a VALID stride-2 conv
    whose weight is an HWIO initializer behind Transpose(perm [3,2,0,1]);
    Conv → BatchNormalization between Transposes; Keras hard_swish
    (x·Relu6(x+3))·(1/6); SE as ReduceMean(axes [1,2], keepdims 1) →
    Transpose/Conv/Transpose → Relu → Transpose/Conv/Transpose →
    Relu6(x+3)·(1/6) → Mul with x in NHWC; residual Add; head Reshape
    [0, -1] of the pooled [N,1,1,C] → MatMul + Add."""
    b = S.Builder("tf_v3_se", 13, np.random.RandomState(24), names="tf")
    shape = [2, 16, 16, 3]  # a Keras model built with batch_size=2
    x = inp("input_1", shape, 2)
    t = T(b.op("Mul", [x.name, S.scalar(b, 2.0, "1d")]), x.val * 2)
    t = T(b.op("Add", [t.name, S.scalar(b, -1.0, "1d")]), t.val - 1)
    pads = b.const(np.array([0, 0, 0, 0, 0, 1, 1, 0]), np.int64)
    t = T(b.op("Pad", [t.name, pads], mode="constant"), np.pad(t.val, ((0, 0), (0, 1), (0, 1), (0, 0))))
    w = S.conv_weight(b.rng, 16, 3, 3)
    wt = b.op("Transpose", [b.const(w.transpose(2, 3, 1, 0).copy())], perm=[3, 2, 0, 1])
    c = to_nchw(b, t)
    c = T(b.op("Conv", [c.name, wt], kernel_shape=[3, 3], strides=[2, 2], auto_pad="VALID"),
          F.conv(c.val, w, None, (2, 2)))
    t = to_nhwc(b, S.bn(b, c, eps=1e-3))
    t = S.hswish(b, t, "mul16")
    skip = t

    def nhwc_conv(t, m, k, group=1, bias=True, bn=False):
        c = S.conv(b, to_nchw(b, t), m, k, group=group, pad="same_upper", bias=bias)
        return to_nhwc(b, S.bn(b, c, eps=1e-3) if bn else c)
    t = S.hswish(b, nhwc_conv(t, 32, 1, bias=False, bn=True), "mul16")
    t = S.hswish(b, nhwc_conv(t, 32, 3, group=32, bias=False, bn=True), "mul16")
    s = S.reduce_mean(b, t, [1, 2], 1)
    s = S.relu(b, nhwc_conv(s, 8, 1))
    s = nhwc_conv(s, 32, 1)
    g = b.op("Mul", [S._plus3_relu6(b, s), S.scalar(b, S.SIXTH, "1d")])
    t = T(b.op("Mul", [t.name, g]), t.val * F.hsigmoid(s.val))
    t = S.add(b, skip, nhwc_conv(t, 16, 1, bias=False, bn=True))
    t = S.reduce_mean(b, t, [1, 2], 1)
    t = T(b.op("Reshape", [t.name, b.const(np.array([0, -1]), np.int64)]), t.val.reshape(t.val.shape[0], -1))
    y = S.matmul_add(b, t, CLASSES)
    return b, [x], [("input_1", shape)], y, [2, CLASSES], TF2ONNX, 7, {"out_name": "Identity:0"}


def tf_seg_head():
    """tf2onnx opset 13 with --inputs-as-nchw, symbolic batch "unk__5": NCHW
    input → Transpose to NHWC → Keras Normalization (Sub then Div by [3]) →
    Transpose/Conv/Transpose → Relu → two Transpose/Conv/Transpose branches
    Concat'ed on axis -1 → Add of a [1,1,1,C] constant → 1×1 conv to 5
    classes → Softmax(axis=-1) per pixel; the output stays NHWC
    [N, 16, 16, 5]."""
    b = S.Builder("tf_seg_head", 13, np.random.RandomState(25), names="tf")
    shape = ["unk__5", 3, 16, 16]
    x = inp("input_1", shape, 3)
    t = to_nhwc(b, x)
    mean = np.array([0.1, -0.2, 0.05], np.float32)
    std = np.array([0.5, 0.8, 1.2], np.float32)
    t = T(b.op("Sub", [t.name, b.const(mean)]), t.val - mean)
    t = T(b.op("Div", [t.name, b.const(std)]), t.val / std)

    def nhwc_conv(t, m, k):
        return to_nhwc(b, S.conv(b, to_nchw(b, t), m, k, pad="same_upper", bias=True))
    t = S.relu(b, nhwc_conv(t, 12, 3))
    a, c = nhwc_conv(t, 8, 1), nhwc_conv(t, 8, 3)
    t = T(b.op("Concat", [a.name, c.name], axis=-1), np.concatenate([a.val, c.val], axis=-1))
    shift = S.small(b.rng, 16, 0.3).reshape(1, 1, 1, 16)
    t = T(b.op("Add", [t.name, b.const(shift)]), t.val + shift)
    t = nhwc_conv(t, 5, 1)
    y = T(b.op("Softmax", [t.name], axis=-1), F.softmax(t.val, -1))
    return b, [x], [("input_1", shape)], y, ["unk__5", 16, 16, 5], TF2ONNX, 7, {"out_name": "Identity:0"}


def tf_flatten(static_batch=None):
    """tf2onnx opset 13, symbolic batch "unk__11" (or static_batch): Keras Flatten and Reshape
    of NHWC maps larger than 1×1, whose element order (h, w, c) a Transpose
    must not be sunk past: NHWC input → Transpose/Conv/Transpose → Relu →
    Transpose/MaxPool/Transpose → Flatten [N, 3·3·8]; a 1×1 conv branch →
    Reshape [0, -1]; Concat of both on axis 1 → MatMul + Add."""
    name = "tf_flatten" if static_batch is None else "tf_flatten_b%d" % static_batch
    b = S.Builder(name, 13, np.random.RandomState(26), names="tf")
    n = static_batch or "unk__11"
    shape = [n, 12, 12, 3]
    x = inp("input_1", shape, static_batch or 3)
    t = S.relu(b, to_nhwc(b, S.conv(b, to_nchw(b, x), 8, 3, s=2, pad="same_upper", bias=True)))
    c = to_nchw(b, t)
    p = to_nhwc(b, T(b.op("MaxPool", [c.name], kernel_shape=[2, 2], strides=[2, 2]), F.pool2d(c.val, "max", 2, 2)))
    f1 = S.flatten(b, p)
    q = to_nhwc(b, S.conv(b, to_nchw(b, p), 4, 1, bias=True))
    f2 = T(b.op("Reshape", [q.name, b.const(np.array([0, -1]), np.int64)]), q.val.reshape(q.val.shape[0], -1))
    t = T(b.op("Concat", [f1.name, f2.name], axis=1), np.concatenate([f1.val, f2.val], axis=1))
    y = S.matmul_add(b, t, CLASSES)
    return b, [x], [("input_1", shape)], y, [n, CLASSES], TF2ONNX, 7, {"out_name": "Identity:0"}


def tf_flatten_b2():
    """tf_flatten with a static batch of 2 (no symbolic shape arithmetic)."""
    return tf_flatten(2)


def alias_outputs():
    """tf2onnx opset 13, three graph outputs that are one tensor: the model's
    Identity:0 (the main output), Identity_1:0 (another Identity of the same
    value) and the Relu's own output, as Keras models with several heads on
    one layer export."""
    b = S.Builder("alias_outputs", 13, np.random.RandomState(97), names="tf")
    x = inp("input_1", [1, 3, 8, 8], 1)
    t = S.relu(b, S.conv(b, x, 4, 3, s=2, bias=True))
    second = T(b.op("Identity", [t.name]), t.val)
    b.nodes[-1].output[0] = "Identity_1:0"
    second = T("Identity_1:0", second.val)
    y = T(b.op("Identity", [t.name]), t.val)
    return b, [x], [("input_1", [1, 3, 8, 8])], y, [1, 4, 4, 4], TF2ONNX, 7, {
        "out_name": "Identity:0", "extra_outputs": [(second, [1, 4, 4, 4]), (t, [1, 4, 4, 4])]}
