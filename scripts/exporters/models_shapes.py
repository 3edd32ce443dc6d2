"""Models of issue 10 (real exported models): paddle2onnx's symbolic N/H/W,
TensorFlow-"same" padding computed from the input shape, and a detector
head with two graph outputs. See make.py for the list."""

import math

import numpy as np
from onnx import TensorProto

import nputil as F
import spell as S
from common import CLASSES, TF2ONNX, TORCH as TORCH_, inp
from spell import T

PADDLE = ("PaddlePaddle", "2.5")


def paddle_cls_dyn():
    """paddle2onnx opset 11 of a PaddleOCR-style text-direction classifier
    (a MobileNetV3 slice): input [p2o.DynamicDimension.0, 3,
    p2o.DynamicDimension.1, p2o.DynamicDimension.2] (all three symbolic),
    every weight a Constant node, p2o.<Op>.<k> names, h-swish as
    x·Clip(x+3,0,6)/6, SE with HardSigmoid(0.2, 0.5), GlobalAveragePool →
    Reshape [0, -1] → MatMul + Add → Softmax(axis=1). The data files hold
    batch 3 at 24×40; mnc must be told the shape (-shape)."""
    b = S.Builder("paddle_cls_dyn", 11, np.random.RandomState(101), weights="constant", names="paddle")
    dims = ["p2o.DynamicDimension.0", 3, "p2o.DynamicDimension.1", "p2o.DynamicDimension.2"]
    x = T("x", F.fixed_input([3, 3, 24, 40]).astype(np.float64))
    t = S.hswish(b, S.bn(b, S.conv(b, x, 16, 3, s=2)), "clipdiv")
    t = S.relu(b, S.bn(b, S.conv(b, t, 16, 3, s=2, group=16)))
    s = S.relu(b, S.conv(b, T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val)), 8, 1, bias=True))
    s = S.conv(b, s, 16, 1, bias=True)
    s = T(b.op("HardSigmoid", [s.name], alpha=0.2, beta=0.5), np.clip(np.float32(0.2) * s.val + 0.5, 0, 1))
    t = T(b.op("Mul", [t.name, s.name]), t.val * s.val)
    t = S.bn(b, S.conv(b, t, 24, 1))
    t = S.hswish(b, S.bn(b, S.conv(b, t, 48, 1)), "clipdiv")
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    t = T(b.op("Reshape", [t.name, b.const(np.array([0, -1]), np.int64)]), t.val.reshape(t.val.shape[0], -1))
    t = S.matmul_add(b, t, 2)
    y = T(b.op("Softmax", [t.name], axis=1), F.softmax(t.val, 1))
    return b, [x], [("x", dims)], y, ["p2o.DynamicDimension.3", 2], PADDLE, 8, {"out_name": "softmax_0.tmp_0"}


def _same_pads(b, t, k, s, float_h=True):
    """TensorFlow "same" padding computed from the input's shape, as timm's
    pad_same and tf2onnx write it: for H, Shape → Gather(2) → Cast(float) →
    Div(s) → Ceil → Sub(1) → Mul(s) → Add(k) → Sub(h) → Max(0) (float
    arithmetic, Floor of half for the top); for W, integer arithmetic
    (Div(w + s - 1, s) is the ceiling, Mod splits the odd pixel), Min
    against a large bound, Cast; then Unsqueeze and Concat into the 8 pads
    of a Pad. Returns the padded T."""
    shp = b.op("Shape", [t.name])
    h, w = t.val.shape[2], t.val.shape[3]
    i64 = lambda v: b.const(np.array(v), np.int64)  # noqa: E731
    f32 = lambda v: b.const(np.array(v, dtype=np.float32))  # noqa: E731
    # H: float arithmetic.
    hh = b.op("Cast", [b.op("Gather", [shp, i64(2)], axis=0)], to=TensorProto.FLOAT)
    q = b.op("Ceil", [b.op("Div", [hh, f32(s)])])
    tot = b.op("Sub", [b.op("Add", [b.op("Mul", [b.op("Sub", [q, f32(1)]), f32(s)]), f32(k)]), hh])
    tot = b.op("Max", [tot, f32(0)])
    top = b.op("Floor", [b.op("Div", [tot, f32(2)])])
    bottom = b.op("Sub", [tot, top])
    top, bottom = (b.op("Cast", [v], to=TensorProto.INT64) for v in (top, bottom))
    # W: integer arithmetic.
    ww = b.op("Gather", [shp, i64(3)], axis=0)
    q = b.op("Div", [b.op("Add", [ww, i64(s - 1)]), i64(s)])
    tot = b.op("Sub", [b.op("Add", [b.op("Mul", [b.op("Sub", [q, i64(1)]), i64(s)]), i64(k)]), ww])
    tot = b.op("Min", [b.op("Max", [tot, i64(0)]), i64(1 << 20)])
    left = b.op("Div", [b.op("Sub", [tot, b.op("Mod", [tot, i64(2)])]), i64(2)])
    right = b.op("Sub", [tot, left])
    zero = i64([0])
    pads = b.op("Concat", [zero, zero] + [S.unsqueeze(b, v, [0]) for v in (top, left)] + [zero, zero]
                + [S.unsqueeze(b, v, [0]) for v in (bottom, right)], axis=0)
    th = max((math.ceil(h / s) - 1) * s + k - h, 0)
    tw = max((math.ceil(w / s) - 1) * s + k - w, 0)
    pv = (th // 2, tw // 2, th - th // 2, tw - tw // 2)
    val = np.pad(t.val, ((0, 0), (0, 0), (pv[0], pv[2]), (pv[1], pv[3])))
    return T(b.op("Pad", [t.name, pads], mode="constant"), val)


def tf_same_pad():
    """timm tf_* / tf2onnx TensorFlow-"same" padding on static spatial
    shapes with a symbolic batch "unk__21": before each conv, pads computed
    from Shape (see _same_pads) feed a Pad, then a Conv with no padding.
    Input 17×16 (H odd, W even); convs 3×3 stride 2 (17×16 → 9×8), 3×3
    depthwise stride 1, 5×5 stride 2 (9×8 → 5×4, pads 2/1 and 1/2, asymmetric),
    3×3 stride 2 (5×4 → 3×2); GlobalAveragePool → Flatten → Gemm. Every Pad
    must fold into its conv (no Pad step in the -O2 plan); runs at batch 1
    and 3."""
    b = S.Builder("tf_same_pad", 13, np.random.RandomState(102))
    shape = ["unk__21", 3, 17, 16]
    x = inp("input_1", shape, 3)
    t = x
    for m, k, s, group in ((16, 3, 2, 1), (16, 3, 1, 16), (24, 5, 2, 1), (32, 3, 2, 1)):
        g = m if group != 1 else 1
        t = S.relu6(b, S.conv(b, _same_pads(b, t, k, s), m, k, s=s, group=g, pad=(0, 0, 0, 0), bias=True))
    t = S.flatten(b, T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val)))
    y = S.gemm(b, t, CLASSES)
    return b, [x], [("input_1", shape)], y, ["unk__21", CLASSES], TF2ONNX, 8, {}


def det_two_heads():
    """A detector head with two graph outputs, class logits [N, 48, 3] and
    box regressions [N, 48, 4], named as TensorFlow names them
    ("scores:0", "boxes/reg:0": -output turns them into file names), each
    Conv → Transpose → Reshape [0, -1, k], the boxes through an Identity;
    symbolic batch "N"."""
    b = S.Builder("det_two_heads", 13, np.random.RandomState(103))
    shape = ["N", 3, 16, 16]
    x = inp("image", shape, 3)
    f = S.relu(b, S.conv(b, S.relu(b, S.conv(b, x, 16, 3, s=2, bias=True)), 24, 3, s=2, bias=True))

    def head(k):
        t = S.conv(b, f, 3 * k, 1, bias=True)
        t = T(b.op("Transpose", [t.name], perm=[0, 2, 3, 1]), t.val.transpose(0, 2, 3, 1))
        return T(b.op("Reshape", [t.name, b.const(np.array([0, -1, k]), np.int64)]), t.val.reshape(t.val.shape[0], -1, k))
    boxes = head(4)
    boxes = T(b.op("Identity", [boxes.name]), boxes.val)
    b.nodes[-1].output[0] = "boxes/reg:0"
    boxes = T("boxes/reg:0", boxes.val)
    y = head(3)
    return b, [x], [("image", shape)], y, ["N", 48, 3], TF2ONNX, 8, {
        "out_name": "scores:0", "extra_outputs": [(boxes, ["N", 48, 4])]}


def torch_batch_arith():
    """torch.onnx of x.view(x.size(0) * 4, -1) → Linear → view(x.size(0),
    -1), symbolic batch "batch": the Reshape targets are arithmetic on the
    batch (Shape → Gather(0) → Mul(4) → Unsqueeze → Concat), which folds
    only once the batch is known (mnc infers it from the input file's
    size). Features [N, 16, 2, 2] are reshaped to [N·4, 16] (rows of 16
    consecutive values), a Gemm makes [N·4, 10], and the result is [N, 40]."""
    b = S.Builder("torch_batch_arith", 13, np.random.RandomState(104))
    shape = ["batch", 3, 8, 8]
    x = inp("input", shape, 3)
    t = S.relu(b, S.conv(b, S.relu(b, S.conv(b, x, 8, 3, s=2, bias=True)), 16, 3, s=2, bias=True))
    n = b.op("Gather", [b.op("Shape", [t.name]), b.const(np.array(0), np.int64)], axis=0)
    n4 = b.op("Mul", [n, b.const(np.array(4), np.int64)])
    target = b.op("Concat", [S.unsqueeze(b, n4, [0]), b.const(np.array([-1]), np.int64)], axis=0)
    t = T(b.op("Reshape", [t.name, target]), t.val.reshape(t.val.shape[0] * 4, -1))
    t = S.gemm(b, t, CLASSES)
    n = b.op("Gather", [b.op("Shape", [x.name]), b.const(np.array(0), np.int64)], axis=0)
    target = b.op("Concat", [S.unsqueeze(b, n, [0]), b.const(np.array([-1]), np.int64)], axis=0)
    y = T(b.op("Reshape", [t.name, target]), t.val.reshape(x.val.shape[0], -1))
    return b, [x], [("input", shape)], y, ["batch", 4 * CLASSES], TORCH_, 8, {}
