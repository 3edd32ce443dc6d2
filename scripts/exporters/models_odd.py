"""Odd but legal layers: asymmetric pads, dilations, grouped convs, pooling corner
cases, look-alikes of h-swish, odd channel counts."""

import numpy as np
import onnx

import nputil as F
import spell as S
from common import CLASSES, TORCH, inp
from models_torch import v3_block
from spell import T


def odd_layers(b, x, softmax):
    """Asymmetric pads [0,0,1,1] on a stride-2 conv (TF SAME), a dilated conv
    without kernel_shape, a grouped conv (group 2), a depthwise conv with
    channel multiplier 2 (group 8, 16 outputs), Identity, Cast float→float, AveragePool
    count_include_pad=1, MaxPool ceil_mode=1, Softmax(axis=1)."""
    t = S.relu(b, S.conv(b, x, 8, 3, s=2, pad=(0, 0, 1, 1), bias=True))
    t = S.conv(b, t, 8, 3, dil=2, bias=True, omit_kernel_shape=True)
    t = S.conv(b, t, 8, 1, group=2, bias=True)  # grouped (ShuffleNet-like)
    t = S.conv(b, t, 16, 3, group=8, bias=True)  # depthwise, channel multiplier 2
    t = S.conv(b, t, 8, 1, s=1, bias=True)
    t = T(b.op("Identity", [t.name]), t.val)
    t = T(b.op("Cast", [t.name], to=onnx.TensorProto.FLOAT), t.val)
    t = T(b.op("AveragePool", [t.name], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=1),
          F.avgpool_include_pad(t.val, 3, 1, 1))
    t = T(b.op("MaxPool", [t.name], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1), F.maxpool_ceil(t.val, 3, 2))
    want = F.softmax_coerced(t.val, 1) if softmax == "coerced" else F.softmax(t.val, 1)
    return T(b.op("Softmax", [t.name], axis=1), want)


def odd_opset11():
    """Opset 11: odd_layers with Softmax coerced to 2-D at axis 1 (a softmax
    over C·H·W, not per channel)."""
    b = S.Builder("odd_opset11", 11, np.random.RandomState(31))
    x = inp("x", [1, 4, 20, 20], 1)
    y = odd_layers(b, x, "coerced")
    return b, [x], [("x", [1, 4, 20, 20])], y, [1, 8, 5, 5], TORCH, 6, {}


def odd_opset13():
    """Opset 13, symbolic batch "N": odd_layers with Softmax along axis 1 only."""
    b = S.Builder("odd_opset13", 13, np.random.RandomState(32))
    shape = ["N", 4, 20, 20]
    x = inp("x", shape, 3)
    y = odd_layers(b, x, "axis")
    return b, [x], [("x", shape)], y, ["N", 8, 5, 5], TORCH, 7, {}


def near_miss():
    """Opset 13: spellings that look like h-swish/h-sigmoid but are not, so a
    canonicaliser must leave them alone (or keep their values):
    x·HardSigmoid(x; alpha 0.2, beta 0.5) (Keras hard_sigmoid), (x·Clip(x+3,0,6))/5,
    y·Clip(x+3,0,6)/6 with y ≠ x, x·HardSigmoid(x; 1/6, 0.4), Clip(x+3,0,6.5)/6·x,
    x·Clip(x+c,0,6)/6 with c a per-channel [C,1,1] constant not all 3, and a true
    h-swish whose Relu6(x+3) is also read by a residual Add."""
    b = S.Builder("near_miss", 13, np.random.RandomState(51))
    x = inp("input", [1, 3, 24, 24], 1)
    t = S.conv(b, x, 8, 3, s=2, bias=True)

    def step(t, f, spelled):
        c = S.conv(b, t, 8, 3, bias=True)
        return T(spelled(c), f(c.val))

    def hsig_keras(c):
        return b.op("Mul", [c.name, b.op("HardSigmoid", [c.name], alpha=0.2, beta=0.5)])
    t = step(t, lambda v: v * np.clip(0.2 * v + 0.5, 0, 1), hsig_keras)

    def div5(c):
        return b.op("Div", [b.op("Mul", [c.name, S._plus3_relu6(b, c)]), S.scalar(b, 5.0)])
    t = step(t, lambda v: v * np.clip(v + 3, 0, 6) / 5, div5)

    other = S.conv(b, t, 8, 1, bias=True)
    c = S.conv(b, t, 8, 3, bias=True)
    t = T(b.op("Div", [b.op("Mul", [other.name, S._plus3_relu6(b, c)]), S.scalar(b, 6.0)]),
          other.val * F.relu6(c.val + 3) / 6)

    def beta04(c):
        return b.op("Mul", [c.name, b.op("HardSigmoid", [c.name], alpha=float(S.SIXTH), beta=0.4)])
    t = step(t, lambda v: v * np.clip(v / 6 + 0.4, 0, 1), beta04)

    def hi65(c):
        r = b.op("Clip", [b.op("Add", [c.name, S.scalar(b, 3.0)]), S.scalar(b, 0.0), S.scalar(b, 6.5)])
        return b.op("Mul", [b.op("Div", [r, S.scalar(b, 6.0)]), c.name])
    t = step(t, lambda v: np.clip(v + 3, 0, 6.5) / 6 * v, hi65)

    shift = np.full((8, 1, 1), 3.0, np.float32)
    shift[5] = 2.0

    def chan_shift(c):
        r = S.relu6(b, T(b.op("Add", [c.name, b.const(shift)]), None)).name
        return b.op("Div", [b.op("Mul", [c.name, r]), S.scalar(b, 6.0)])
    t = step(t, lambda v: v * F.relu6(v + shift) / 6, chan_shift)

    c = S.conv(b, t, 8, 3, bias=True)
    r = S._plus3_relu6(b, c)
    h = b.op("Div", [b.op("Mul", [c.name, r]), S.scalar(b, 6.0)])
    t = T(b.op("Add", [h, r]), F.hswish(c.val) + F.relu6(c.val + 3))
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    y = S.gemm(b, S.flatten(b, t), CLASSES)
    return b, [x], [("input", [1, 3, 24, 24])], y, [1, CLASSES], TORCH, 7, {}


def odd_pools():
    """Opset 13 pooling and padding corner cases: reflect Pad; ReLU6 as
    Min(Max(x, 0), 6) and ReLU as Max(x, 0) (0-d and [1] constants);
    MaxPool and AveragePool (count_include_pad=0, TF's "SAME" average)
    with auto_pad SAME_UPPER on an odd size; AveragePool with pads,
    ceil_mode and count_include_pad=0 (a last window mostly in padding);
    a 1×1 stride-2 conv."""
    b = S.Builder("odd_pools", 13, np.random.RandomState(33))
    x = inp("x", [1, 4, 17, 17], 1)
    pads = b.const(np.array([0, 0, 1, 1, 0, 0, 1, 1]), np.int64)
    t = T(b.op("Pad", [x.name, pads], mode="reflect"), np.pad(x.val, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect"))
    t = S.conv(b, t, 8, 3, pad=(0, 0, 0, 0), bias=True)
    t = T(b.op("Min", [b.op("Max", [t.name, S.scalar(b, 0.0)]), S.scalar(b, 6.0, "1d")]), F.relu6(t.val))
    t = T(b.op("MaxPool", [t.name], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
          F.pool2d(t.val, "max", 3, 2, F.same_upper_pads(17, 17, 3, 2)))
    t = T(b.op("AveragePool", [t.name], kernel_shape=[3, 3], strides=[1, 1], auto_pad="SAME_UPPER"),
          F.pool2d(t.val, "avg", 3, 1, F.same_upper_pads(9, 9, 3, 1)))
    t = T(b.op("AveragePool", [t.name], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1),
          F.pool2d(t.val, "avg", 3, 2, (1, 1, 1, 1), ceil_mode=True))
    t = S.conv(b, t, 8, 1, s=2, bias=True)
    y = T(b.op("Max", [t.name, S.scalar(b, 0.0)]), F.relu(t.val))
    return b, [x], [("x", [1, 4, 17, 17])], y, [1, 8] + list(y.val.shape[2:]), TORCH, 7, {}


def odd_channels():
    """Opset 13, symbolic batch "N", a 15×15 input and channel counts that
    are no multiple of any SIMD width: stem 3→13 (stride 2, h-swish), V3
    block 13 → 39 → 5×5 dw stride 2 → SE (squeeze 10) → 21, a second block
    21 → 63 → 3×3 dw → SE → 21 with a residual, 7 classes."""
    b = S.Builder("odd_channels", 13, np.random.RandomState(91))
    shape = ["N", 3, 15, 15]
    x = inp("input", shape, 3)
    hs = lambda b, t: S.hswish(b, t, "clipdiv")  # noqa: E731
    t = hs(b, S.conv(b, x, 13, 3, s=2, bias=True))
    t = v3_block(b, t, 39, 21, 5, 2, hs, "clipdiv")
    t = v3_block(b, t, 63, 21, 3, 1, hs, "mul16", order="yx")
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    y = S.gemm(b, S.flatten(b, t), 7)
    return b, [x], [("input", shape)], y, ["N", 7], TORCH, 7, {}


def odd_opset11_dyn():
    """odd_opset11 with a symbolic batch "N": the opset-11 Softmax coerced
    to 2-D must flatten and restore a shape whose batch is unknown."""
    b = S.Builder("odd_opset11_dyn", 11, np.random.RandomState(31))
    shape = ["N", 4, 20, 20]
    x = inp("x", shape, 3)
    y = odd_layers(b, x, "coerced")
    return b, [x], [("x", shape)], y, ["N", 8, 5, 5], TORCH, 6, {}
