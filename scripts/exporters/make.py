#!/usr/bin/python3
"""Small MobileNet-like ONNX models spelled the way real exporters spell them,
with reference outputs, for frontend/onnx/exporters_test.go.

Run with Debian's python3 (python3-onnx 1.12, python3-numpy):

    /usr/bin/python3 scripts/exporters/make.py [OUT_DIR]

OUT_DIR defaults to frontend/onnx/testdata/exporters. Deterministic: each
model's weights come from numpy RandomState(seed) (legacy generator, stable
stream), so every run writes the same bytes. For each model <name>:

  <name>.onnx     the model (checked with onnx.checker.check_model, except
                  opsets above 17, which onnx 1.12 does not know, and the
                  com.microsoft and external-data rejects: check_ort.js runs every runnable
                  model in ONNX Runtime as well)
  <name>.in.bin   the input, raw little-endian float32, row-major over the
                  model's input shape (batch 3 for a symbolic batch): flat
                  index i, h = (i * 2654435761) mod 2^32,
                  x[i] = ((h >> 24) - 128) / 128   (exact, in [-1, 1))
                  For batch 3, image 0 is also the batch-1 input.
  manifest.json   input/output names and the shapes of the .bin files
  <name>.out.bin  the output (<name>.out1.bin... further outputs in graph
                  order), raw little-endian float32, from a float64
                  numpy forward pass of the network's *meaning* (nputil.py):
                  the graph says x*Clip(x+3,0,6)/6, the reference computes
                  hswish(x); BatchNormalization stays unfolded.

Weights: He (fan-in) conv weights, biases U(-0.1,0.1), BatchNorm statistics
calibrated on the test input (activations stay O(1)).

The models (see each function's docstring for its spelling):

  torch9_v1         torch.onnx opset 9: Pad(attr) → Conv, Clip(min/max attrs)
                    as ReLU6, 5-input BatchNormalization, Shape→Gather→
                    Unsqueeze→Concat→Reshape flatten, Dropout(ratio), Gemm transB=1
  torch8_v2         torch.onnx opset 8 (ir 3): BatchNormalization spatial=1,
                    initializers also listed as graph inputs, residual Adds in
                    both orders, Flatten, Dropout, Gemm
  torch11_v3        opset 11: weights as Constant nodes, Clip bounds as Constant
                    inputs, Clip with only min, h-swish x·HardSigmoid(x) (both
                    orders), SE with ReduceMean(axes=[2,3]) and HardSigmoid gate
  torch13_v3_clipdiv  opset 13, batch "batch_size": h-swish (x·Clip(x+3,0,6))/6
                    and x·(Relu6(3+x)/6), SE gates Clip(x+3,0,6)/6 and
                    ·0.16666667, Reshape from Shape→Gather→Unsqueeze(axes
                    input)→Concat; runs at batch 1 and 3
  torch13_v3_squeeze  opset 13: ReduceMean head → Squeeze(axes input) → Gemm →
                    h-swish ·0.16666667 → Unsqueeze(axes input) → 1×1 conv
                    classifier → Flatten; residual Add(skip, y)
  torch17_hardswish opset 17, static batch 2: HardSwish, HardSigmoid, Gemm
                    transB=0 with a [k, n] weight
  torch18_matmul    opset 18: ReduceMean with axes as an input, MatMul+Add head
  tf_nhwc_edge      tf2onnx opset 13: NHWC input → Transpose → SAME_UPPER convs
                    → Transpose back → ReduceMean(axes [1,2]) → MatMul+Add
  tf_nhwc_wrapped   tf2onnx opset 13, batch "unk__7": every Conv between
                    Transposes, NHWC Mul/Add by [C] constants, Clip, residual,
                    tf h-swish, ReduceMean(axes [1,2], keepdims) → Squeeze;
                    runs at batch 1 and 3
  odd_opset11       asymmetric pads, dilation, no kernel_shape, Identity, Cast,
                    AveragePool count_include_pad, MaxPool ceil_mode,
                    Softmax(axis=1) coerced to 2-D (opset 11 semantics)
  odd_opset13       the same layers, Softmax(axis=1) along one axis (opset 13),
                    symbolic batch "N" run at batch 1 and 3
  ext_data          opset 13 model whose weights live in ext_data.weights
                    (save_as_external_data); ext_subdir: in ext_subdir/weights.bin
  near_miss         opset 13: look-alikes of h-swish/h-sigmoid that are not
                    (Keras hard_sigmoid, /5, y·Relu6(x+3)/6, beta 0.4, Clip
                    to 6.5, per-channel +c, a shared Relu6(x+3))
  torch15_variants  opset 15, batch "batch": value_info, unused initializer,
                    extra opset import, Clip(x, "", 6), Constant(value_float /
                    value_ints), ReduceMean axes [-2,-1], Dropout inputs,
                    BN training_mode=0, Reshape [-1, C], Softmax
  tf_variants       tf2onnx opset 13, batch "unk__3"/"unk__4": unnamed nodes,
                    VALID and SAME_UPPER, whole-map AveragePool, Reshape via
                    Shape→Slice→Concat, Identity output
  pad_dynbatch      opset 13, batch "N": Pad with input pads on a symbolic batch
  fc_variants       opset 13: Gemm with [1, n] bias, without C, alpha/beta,
                    weights through Identity, MatMul + Add [1, n]
  tf_v3_se          tf2onnx opset 13, batch 2: Keras V3 block in NHWC
                    (Rescaling, ZeroPadding2D, HWIO weight behind Transpose,
                    BN between Transposes, hard_swish, NHWC SE, Reshape [0,-1])
  tf_seg_head       tf2onnx --inputs-as-nchw, batch "unk__5": Sub/Div by [3],
                    Concat on axis -1, Add [1,1,1,C], per-pixel Softmax(-1),
                    NHWC 4-D output; runs at batch 1 and 3
  odd_pools         reflect Pad, Min/Max ReLU6, SAME_UPPER Max/AveragePool
                    (count_include_pad=0), ceil_mode AveragePool with pads,
                    1×1 stride-2 conv
  torch_fpad11/13   torch.onnx's F.pad: Size/Shape → ConstantOfShape → Concat →
                    Reshape → Slice(step -1) → Transpose → Reshape → Cast → Pad
  odd_channels      batch "N", 15×15 input, 3/13/39/21/63/7 channels, SE, h-swish
  torch21           opset 21 (IR 10): HardSwish, ReduceMean axes input, Pad, MatMul
  tf_flatten        tf2onnx, batch "unk__11": Flatten and Reshape [0,-1] of NHWC
                    maps (h, w, c order), MaxPool between Transposes, Concat
  tf_flatten_b2     the same with a static batch of 2
  torch_view_dyn    batch "batch_size": views from x.size(i) arithmetic (Gather,
                    Mul, Unsqueeze, Concat) to 2-D and back to 4-D
  odd_opset11_dyn   odd_opset11 with batch "N" (coerced Softmax on batch -1)
  torch_bn_standalone  BatchNormalization on the input, after a residual Add,
                    and on 2-D [N, C] features (BatchNorm1d)
  dims_unset        input and output batch dimensions without value or name
  hswish_orders     seven more operand orders/forms of h-swish (Min/Max, Relu,
                    const-first Mul, [1,1,1,1] constants) and a const-first gate
  paddle_v3         paddle2onnx: SE gate HardSigmoid(alpha 0.2, beta 0.5) after a
                    conv (fused epilogue with non-default alpha/beta)
  epilogue_order    activation before/after a residual Add, split-out bias and
                    scale, two convs summed, Relu then Relu6
  ssd_head(_b1)     SSDLite box head: Transpose(0,2,3,1) → Reshape [N,-1,4] of two
                    maps → Concat on axis 1, 3-D output; batch symbolic (or 1)
  ssd_outputs       three graph outputs: boxes, Softmax(-1) scores, and a feature
                    map that other nodes also read
  alias_outputs     three graph outputs that are one tensor (two Identities and
                    the value itself)
"""

import json
import os
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)

import nputil as F  # noqa: E402
import spell as S  # noqa: E402
from spell import T  # noqa: E402

OUT_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "frontend", "onnx", "testdata", "exporters")

TORCH = ("pytorch", "1.13.1")
TF2ONNX = ("tf2onnx", "1.14.0 8f8d49")
CLASSES = 10


def inp(name, shape, batch):
    """The model input: T with the documented values (batch replaces a
    symbolic first dimension)."""
    concrete = [batch if isinstance(d, str) else d for d in shape]
    return T(name, F.fixed_input(concrete).astype(np.float64))


def torch9_v1():
    """torch.onnx opset 9 of a tiny V1: explicit Pad before the stem conv,
    Conv → BN → Clip(min=0, max=6 attributes), flatten by Shape/Gather/
    Unsqueeze(axes attr)/Concat/Reshape, Dropout(ratio=0.2), Gemm transB=1."""
    b = S.Builder("torch9_v1", 9, np.random.RandomState(9))
    x = inp("input.1", [1, 3, 32, 32], 1)
    t = T(b.op("Pad", [x.name], mode="constant", pads=[0, 0, 1, 1, 0, 0, 1, 1], value=0.0),
          np.pad(x.val, ((0, 0), (0, 0), (1, 1), (1, 1))))
    t = S.relu6(b, S.bn(b, S.conv(b, t, 16, 3, s=2, pad=(0, 0, 0, 0))))
    for c, s in ((24, 1), (32, 2)):
        t = S.relu6(b, S.bn(b, S.conv(b, t, t.val.shape[1], 3, s=s, group=t.val.shape[1])))
        t = S.relu6(b, S.bn(b, S.conv(b, t, c, 1)))
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    t = S.dropout(b, S.flatten_shape_chain(b, t), 0.2)
    y = S.gemm(b, t, CLASSES)
    return b, [x], [("input.1", [1, 3, 32, 32])], y, [1, CLASSES], TORCH, 4, {}


def inverted_residual(b, t, expand, out, s=1, spatial=None, act=S.relu6, order="xy"):
    """V2 block: [1×1 expand → BN → act] → 3×3 dw → BN → act → 1×1 → BN,
    plus the input when stride 1 and widths match (Add operands in order
    "xy" = (skip, y) or "yx")."""
    skip, c = t, t.val.shape[1]
    if expand != c:
        t = act(b, S.bn(b, S.conv(b, t, expand, 1), spatial=spatial))
    t = act(b, S.bn(b, S.conv(b, t, expand, 3, s=s, group=expand), spatial=spatial))
    t = S.bn(b, S.conv(b, t, out, 1), spatial=spatial)
    if s == 1 and out == c:
        t = S.add(b, skip, t) if order == "xy" else S.add(b, t, skip)
    return t


def torch8_v2():
    """torch.onnx opset 8 (IR 3, keep_initializers_as_inputs, tensors in
    float_data rather than raw_data): a tiny V2 with
    BatchNormalization(spatial=1), Clip attributes, residual Adds in both
    operand orders, Flatten, Dropout(ratio attr), Gemm transB=1."""
    b = S.Builder("torch8_v2", 8, np.random.RandomState(8))
    b.typed_fields = True  # float_data / int64_data instead of raw_data
    x = inp("input.1", [1, 3, 32, 32], 1)
    t = S.relu6(b, S.bn(b, S.conv(b, x, 16, 3, s=2), spatial=1))
    t = inverted_residual(b, t, 16, 16, spatial=1, order="xy")
    t = inverted_residual(b, t, 64, 16, spatial=1, order="yx")
    t = inverted_residual(b, t, 64, 24, s=2, spatial=1)
    t = S.relu6(b, S.bn(b, S.conv(b, t, 32, 1), spatial=1))
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    t = S.dropout(b, S.flatten(b, t), 0.5)
    y = S.gemm(b, t, CLASSES)
    return b, [x], [("input.1", [1, 3, 32, 32])], y, [1, CLASSES], TORCH, 3, {"inits_as_inputs": True}


def torch11_v3():
    """torch.onnx opset 11 with weights as Constant nodes: conv with bias →
    x·HardSigmoid(x); a V3 block: 1×1 → Clip(x, min=0) (no max) → 5×5 dw →
    HardSigmoid(x)·x → SE(ReduceMean axes [2,3] keepdims 1, HardSigmoid gate,
    Mul(s, x)) → 1×1 → Add(y, skip); 1×1 → Clip(0, 6) with Constant-node
    bounds → GlobalAveragePool → Flatten → Gemm."""
    b = S.Builder("torch11_v3", 11, np.random.RandomState(11), weights="constant")
    x = inp("input", [1, 3, 32, 32], 1)
    t = S.hswish(b, S.conv(b, x, 16, 3, s=2, bias=True), "hsig")
    skip = t
    t = S.clip(b, S.conv(b, t, 32, 1, bias=True), 0.0, None)
    t = S.hswish(b, S.conv(b, t, 32, 5, group=32, bias=True), "hsig_rev")
    t = S.se(b, t, 8, "rm", "op", scale_first=True)
    t = S.add(b, S.conv(b, t, 16, 1, bias=True), skip)
    t = S.relu6(b, S.conv(b, t, 48, 1, bias=True), as_node=True)
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    y = S.gemm(b, S.flatten(b, t), CLASSES)
    return b, [x], [("input", [1, 3, 32, 32])], y, [1, CLASSES], TORCH, 6, {}


def v3_block(b, t, expand, out, k, s, act, gate, order="xy"):
    """V3 bneck with SE (ReduceMean pool) and the given activation/gate
    spellings; residual when stride 1 and widths match."""
    skip, c = t, t.val.shape[1]
    t = act(b, S.conv(b, t, expand, 1, bias=True))
    t = act(b, S.conv(b, t, expand, k, s=s, group=expand, bias=True))
    t = S.se(b, t, max(8, expand // 4), "rm", gate)
    t = S.conv(b, t, out, 1, bias=True)
    if s == 1 and out == c:
        t = S.add(b, skip, t) if order == "xy" else S.add(b, t, skip)
    return t


def torch13_v3_clipdiv():
    """torch.onnx opset 13, symbolic batch "batch_size": h-swish as
    (x·Clip(x+3,0,6))/6 and x·(Relu6(3+x)/6) (Clip bounds as initializers),
    SE gates Clip(x+3,0,6)/6 and Clip(x+3,0,6)·0.16666667, residual
    Add(skip, y); head 1×1 → h-swish → GlobalAveragePool → Reshape to
    Concat(Unsqueeze(Gather(Shape(x), 0)), [-1]) → Gemm."""
    b = S.Builder("torch13_v3_clipdiv", 13, np.random.RandomState(13))
    shape = ["batch_size", 3, 32, 32]
    x = inp("input", shape, 3)
    hs_a = lambda b, t: S.hswish(b, t, "clipdiv")  # noqa: E731
    hs_b = lambda b, t: S.hswish(b, t, "relu6div")  # noqa: E731
    t = hs_a(b, S.conv(b, x, 16, 3, s=2, bias=True))
    t = v3_block(b, t, 48, 16, 3, 1, hs_b, "clipdiv", order="xy")
    t = v3_block(b, t, 48, 24, 3, 2, S.relu6, "mul16")
    t = hs_a(b, S.conv(b, t, 64, 1, bias=True))
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    y = S.gemm(b, S.flatten_shape_chain(b, t), CLASSES)
    return b, [x], [("input", shape)], y, ["batch_size", CLASSES], TORCH, 7, {}


def torch13_v3_squeeze():
    """torch.onnx opset 13: F.pad as Pad (pads input) before the stem, stem h-swish x·(Relu6(3+x)/6); V3 block with
    HardSigmoid-free gate ·0.16666667 and Add(y, skip); head ReduceMean(axes
    [2,3], keepdims 1) → Squeeze(axes input) → Gemm → (x·Relu6(x+3))·1/6 →
    Unsqueeze(axes input) → 1×1 conv classifier → Flatten."""
    b = S.Builder("torch13_v3_squeeze", 13, np.random.RandomState(14))
    x = inp("input", [1, 3, 32, 32], 1)
    t = pad11(b, x, 1)
    t = S.hswish(b, S.conv(b, t, 16, 3, s=2, pad=(0, 0, 0, 0), bias=True), "relu6div")
    t = v3_block(b, t, 64, 16, 5, 1, lambda b, t: S.hswish(b, t, "clipdiv"), "mul16", order="yx")
    t = S.reduce_mean(b, t, [2, 3], 1)
    t = S.hswish(b, S.gemm(b, S.squeeze(b, t, [2, 3]), 32), "mul16")
    t = T(S.unsqueeze(b, t.name, [2, 3]), t.val[:, :, None, None])
    y = S.flatten(b, S.conv(b, t, CLASSES, 1, bias=True))
    return b, [x], [("input", [1, 3, 32, 32])], y, [1, CLASSES], TORCH, 7, {}


def pad11(b, t, p):
    """Pad from opset 11: pads (int64 input, all begins then all ends) and
    constant_value inputs; p pixels on every spatial side."""
    pads = b.const(np.array([0, 0, p, p, 0, 0, p, p]), np.int64)
    name = b.op("Pad", [t.name, pads, b.const(np.array(0.0), np.float32)], mode="constant")
    return T(name, np.pad(t.val, ((0, 0), (0, 0), (p, p), (p, p))))


def pad_dynbatch():
    """Opset 13, symbolic batch "N": Pad with pads/constant_value inputs
    (zero pads on the batch axis) → stride-2 conv → Relu → GlobalAveragePool
    → Flatten → Gemm."""
    b = S.Builder("pad_dynbatch", 13, np.random.RandomState(16))
    shape = ["N", 3, 16, 16]
    x = inp("input", shape, 3)
    t = S.relu(b, S.conv(b, pad11(b, x, 1), 8, 3, s=2, pad=(0, 0, 0, 0), bias=True))
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    y = S.gemm(b, S.flatten(b, t), CLASSES)
    return b, [x], [("input", shape)], y, ["N", CLASSES], TORCH, 7, {}


def torch17_hardswish():
    """torch.onnx opset 17, static batch 2: HardSwish and HardSigmoid ops, SE
    by ReduceMean (axes attribute), Gemm transB=0 with the weight stored
    transposed ([k, n])."""
    b = S.Builder("torch17_hardswish", 17, np.random.RandomState(17))
    x = inp("input", [2, 3, 32, 32], 2)
    hs = lambda b, t: S.hswish(b, t, "op")  # noqa: E731
    t = hs(b, S.conv(b, x, 16, 3, s=2, bias=True))
    t = v3_block(b, t, 48, 16, 3, 1, hs, "op")
    t = v3_block(b, t, 48, 24, 5, 2, hs, "op")
    t = hs(b, S.conv(b, t, 64, 1, bias=True))
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    t = hs(b, S.gemm(b, S.flatten(b, t), 32, trans_b=False))
    y = S.gemm(b, t, CLASSES, trans_b=False)
    return b, [x], [("input", [2, 3, 32, 32])], y, [2, CLASSES], TORCH, 8, {}


def torch18_matmul():
    """torch.onnx (dynamo) opset 18: ReduceMean with axes as an input in the
    SE blocks and the head (keepdims 0), MatMul + Add classifier."""
    b = S.Builder("torch18_matmul", 18, np.random.RandomState(18))
    x = inp("input", [1, 3, 32, 32], 1)
    hs = lambda b, t: S.hswish(b, t, "op")  # noqa: E731
    t = hs(b, S.conv(b, x, 16, 3, s=2, bias=True))
    t = v3_block(b, t, 48, 16, 3, 1, hs, "op", order="yx")
    t = hs(b, S.conv(b, t, 64, 1, bias=True))
    t = S.reduce_mean(b, t, [2, 3], 0)
    y = S.matmul_add(b, t, CLASSES)
    return b, [x], [("input", [1, 3, 32, 32])], y, [1, CLASSES], TORCH, 8, {}


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


def ext_data(name="ext_data", location="ext_data.weights"):
    """Opset 13 tiny V2 with every initializer in the external file
    ext_data.weights."""
    b = S.Builder(name, 13, np.random.RandomState(41))
    x = inp("input", [1, 3, 32, 32], 1)
    t = S.relu6(b, S.bn(b, S.conv(b, x, 16, 3, s=2)))
    t = inverted_residual(b, t, 32, 16)
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    y = S.gemm(b, S.flatten(b, t), CLASSES)
    return b, [x], [("input", [1, 3, 32, 32])], y, [1, CLASSES], TORCH, 7, {"external": location}


def ext_subdir():
    """ext_data with its weights in a subdirectory: ext_subdir/weights.bin."""
    return ext_data("ext_subdir", "ext_subdir/weights.bin")


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


def torch15_variants():
    """torch.onnx opset 15, symbolic batch "batch", with exporter details:
    shape-inferred value_info, an unused initializer, an extra "ai.onnx.ml"
    opset import, Conv with auto_pad="NOTSET" and no strides, BatchNormalization
    with training_mode=0, Clip(x, "", 6) (only max) after a Relu, Clip bounds
    of shape [1], Constant(value_float) and Constant(value_ints), ReduceMean over axes
    [-2,-1], Dropout with ratio and training_mode inputs, Reshape to
    [-1, C] from a Constant, Softmax with the default axis."""
    b = S.Builder("torch15_variants", 15, np.random.RandomState(15))
    shape = ["batch", 3, 32, 32]
    x = inp("input", shape, 3)
    t = S.conv(b, x, 16, 3, s=2, auto_pad="NOTSET")
    p = S.bn_params(b.rng, t.val)
    t = T(b.op("BatchNormalization", [t.name] + [b.const(a) for a in p], epsilon=1e-3, momentum=0.9,
               training_mode=0), F.batchnorm(t.val, *p, 1e-3))
    t = S.relu(b, t)
    t = T(b.op("Clip", [t.name, "", b.const(np.array([6.0]))]), np.minimum(t.val, 6))
    w = S.conv_weight(b.rng, 16, 1, 3)
    t = T(b.op("Conv", [t.name, b.const(w)], pads=[1, 1, 1, 1], group=16),
          F.conv(t.val, w, pads=(1, 1, 1, 1), group=16))
    lo = b.op("Constant", [], value_float=0.0)
    hi = b.op("Constant", [], value_float=6.0)
    t = T(b.op("Clip", [t.name, lo, hi]), F.relu6(t.val))
    b.const(np.ones(7))  # unused, as torch.onnx leaves behind
    t = S.relu6(b, S.conv(b, t, 24, 1, bias=True))
    t = T(b.op("ReduceMean", [t.name], axes=[-2, -1], keepdims=1), t.val.mean(axis=(2, 3), keepdims=True))
    t = T(b.op("Reshape", [t.name, b.op("Constant", [], value_ints=[-1, 24])]), t.val.reshape(-1, 24))
    t = T(b.op("Dropout", [t.name, S.scalar(b, 0.1, "0d"), b.const(np.array(False), np.bool_)]), t.val)
    t = S.gemm(b, t, CLASSES)
    y = T(b.op("Softmax", [t.name]), F.softmax(t.val, -1))
    return b, [x], [("input", shape)], y, ["batch", CLASSES], TORCH, 8, {
        "infer_shapes": True, "extra_opsets": [("ai.onnx.ml", 2)]}


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


def fc_variants():
    """Opset 13 heads as various exporters write fully connected layers:
    Gemm with a 2-D [1, n] bias; Gemm transB=1 whose weight comes through an
    Identity (torch's shared parameters); Gemm without C (beta irrelevant);
    Gemm alpha=2, beta=0.5, transA=0; MatMul + Add of [1, n]. The stem conv's
    weight also comes through an Identity."""
    b = S.Builder("fc_variants", 13, np.random.RandomState(61))
    x = inp("input", [1, 3, 16, 16], 1)
    w = S.conv_weight(b.rng, 8, 3, 3)
    t = T(b.op("Conv", [x.name, b.op("Identity", [b.const(w)])], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
          F.conv(x.val, w, None, (2, 2), (1, 1, 1, 1)))
    t = S.relu(b, t)
    t = S.flatten(b, T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val)))

    def weight(k, n):
        return (b.rng.standard_normal((n, k)) / np.sqrt(k)).astype(np.float32), S.small(b.rng, n, 0.05)
    w, c = weight(8, 16)
    t = S.relu(b, T(b.op("Gemm", [t.name, b.const(w.T.copy()), b.const(c.reshape(1, -1))]), t.val @ w.T + c))
    w, _ = weight(16, 16)
    t = S.relu(b, T(b.op("Gemm", [t.name, b.op("Identity", [b.const(w)])], transB=1), t.val @ w.T))
    w, c = weight(16, 12)
    t = S.relu(b, T(b.op("Gemm", [t.name, b.const(w), b.const(c)], alpha=2.0, beta=0.5, transA=0, transB=1),
                    2 * (t.val @ w.T) + 0.5 * c))
    w, c = weight(12, CLASSES)
    mm = b.op("MatMul", [t.name, b.const(w.T.copy())])
    y = T(b.op("Add", [mm, b.const(c.reshape(1, -1))]), t.val @ w.T + c)
    return b, [x], [("input", [1, 3, 16, 16])], y, [1, CLASSES], TORCH, 7, {}


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


def torch_fpad(b, t, pad):
    """F.pad(x, pad) as torch.onnx (opset 11-17) exports it: the pads go
    through Size(Shape(x)) → zero extension by ConstantOfShape → Concat →
    Reshape [-1, 2] → flip (Slice with step -1) → Transpose → Reshape [-1]
    → Cast, then Pad(x, pads, constant_value). pad is torch's order (last
    axis first: left, right, top, bottom)."""
    i64 = lambda v: b.const(np.array(v), np.int64)  # noqa: E731
    rank = b.op("Size", [b.op("Shape", [t.name])])
    ext = b.op("Sub", [b.op("Mul", [rank, i64(2)]), i64(len(pad))])
    zeros = b.op("ConstantOfShape", [S.unsqueeze(b, ext, [0])],
                 value=onnx.helper.make_tensor("v", onnx.TensorProto.INT64, [1], [0]))
    p = b.op("Concat", [i64(list(pad)), zeros], axis=0)
    p = b.op("Reshape", [p, i64([-1, 2])])
    p = b.op("Slice", [p, i64([-1]), i64([-(2**63) + 1]), i64([0]), i64([-1])])
    p = b.op("Reshape", [b.op("Transpose", [p], perm=[1, 0]), i64([-1])])
    p = b.op("Cast", [p], to=onnx.TensorProto.INT64)
    name = b.op("Pad", [t.name, p, b.const(np.array(0.0), np.float32)], mode="constant")
    l, r, tp, bt = pad
    return T(name, np.pad(t.val, ((0, 0), (0, 0), (tp, bt), (l, r))))


def torch_fpad11():
    """torch.onnx opset 11 of F.pad(x, (0, 1, 0, 1)) (TF-style "SAME" for a
    stride-2 conv) before the stem, then Conv → Relu → GlobalAveragePool →
    Flatten → Gemm."""
    b = S.Builder("torch_fpad11", 11, np.random.RandomState(81))
    x = inp("input", [1, 3, 16, 16], 1)
    t = torch_fpad(b, x, (0, 1, 0, 1))
    t = S.relu(b, S.conv(b, t, 8, 3, s=2, pad=(0, 0, 0, 0), bias=True))
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    y = S.gemm(b, S.flatten(b, t), CLASSES)
    return b, [x], [("input", [1, 3, 16, 16])], y, [1, CLASSES], TORCH, 6, {}


def torch_fpad13():
    """torch_fpad11 at opset 13 (Unsqueeze axes as an input) with
    F.pad(x, (1, 2, 2, 1))."""
    b = S.Builder("torch_fpad13", 13, np.random.RandomState(82))
    x = inp("input", [1, 3, 16, 16], 1)
    t = torch_fpad(b, x, (1, 2, 2, 1))
    t = S.relu(b, S.conv(b, t, 8, 3, s=2, pad=(0, 0, 0, 0), bias=True))
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    y = S.gemm(b, S.flatten(b, t), CLASSES)
    return b, [x], [("input", [1, 3, 16, 16])], y, [1, CLASSES], TORCH, 7, {}


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


def torch21():
    """The torch18_matmul network at opset 21 (the newest the importer
    claims), with Flatten instead of keepdims-0 and a Pad-21 before the
    stem."""
    b = S.Builder("torch21", 21, np.random.RandomState(21))
    x = inp("input", [1, 3, 32, 32], 1)
    hs = lambda b, t: S.hswish(b, t, "op")  # noqa: E731
    t = hs(b, S.conv(b, pad11(b, x, 1), 16, 3, s=2, pad=(0, 0, 0, 0), bias=True))
    t = v3_block(b, t, 48, 16, 3, 1, hs, "op", order="yx")
    t = hs(b, S.conv(b, t, 64, 1, bias=True))
    t = S.flatten(b, S.reduce_mean(b, t, [2, 3], 1))
    y = S.matmul_add(b, t, CLASSES)
    return b, [x], [("input", [1, 3, 32, 32])], y, [1, CLASSES], ("pytorch", "2.5.0"), 10, {}


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


def torch_view_dyn():
    """torch.onnx opset 13, symbolic batch "batch_size", views built from
    x.size(i) arithmetic: x.view(x.size(0), x.size(1) * x.size(2) *
    x.size(3)) on an [N, 8, 4, 4] map (Shape → Gather → Mul → Unsqueeze →
    Concat → Reshape), then a Gemm, then y.view(y.size(0), y.size(1), 1, 1)
    back to 4-D, a 1×1 conv, and x.view(-1, x.size(1)) to the logits."""
    b = S.Builder("torch_view_dyn", 13, np.random.RandomState(27))
    shape = ["batch_size", 3, 16, 16]
    x = inp("input", shape, 3)
    t = S.relu(b, S.conv(b, x, 8, 3, s=4, bias=True))  # [N, 8, 4, 4]

    def size(t, i):
        return b.op("Gather", [b.op("Shape", [t.name]), b.const(np.array(i), np.int64)], axis=0)

    def view(t, dims, want):
        parts = [S.unsqueeze(b, d, [0]) if isinstance(d, str) else b.const(np.array([d]), np.int64) for d in dims]
        return T(b.op("Reshape", [t.name, b.op("Concat", parts, axis=0)]), want)
    chw = b.op("Mul", [b.op("Mul", [size(t, 1), size(t, 2)]), size(t, 3)])
    t = view(t, [size(t, 0), chw], t.val.reshape(t.val.shape[0], -1))
    t = S.relu(b, S.gemm(b, t, 24))
    t = view(t, [size(t, 0), size(t, 1), 1, 1], t.val[:, :, None, None])
    t = S.conv(b, t, CLASSES, 1, bias=True)
    y = view(t, [-1, size(t, 1)], t.val.reshape(-1, CLASSES))
    return b, [x], [("input", shape)], y, ["batch_size", CLASSES], TORCH, 7, {}


def odd_opset11_dyn():
    """odd_opset11 with a symbolic batch "N": the opset-11 Softmax coerced
    to 2-D must flatten and restore a shape whose batch is unknown."""
    b = S.Builder("odd_opset11_dyn", 11, np.random.RandomState(31))
    shape = ["N", 4, 20, 20]
    x = inp("x", shape, 3)
    y = odd_layers(b, x, "coerced")
    return b, [x], [("x", shape)], y, ["N", 8, 5, 5], TORCH, 6, {}


def bn_any(b, t, eps=1e-5):
    """BatchNormalization on a 2-D [N, C] or 4-D input (torch BatchNorm1d /
    BatchNorm2d), calibrated on the input's per-channel statistics."""
    v4 = t.val if t.val.ndim == 4 else t.val[:, :, None, None]
    p = S.bn_params(b.rng, v4)
    name = b.op("BatchNormalization", [t.name] + [b.const(a) for a in p], epsilon=eps)
    return T(name, F.batchnorm(v4, *p, eps).reshape(t.val.shape))


def torch_bn_standalone():
    """torch.onnx opset 13 with BatchNormalizations no conv precedes: on the
    input (a data-normalising first layer), after a residual Add
    (pre-activation), and BatchNorm1d on the 2-D pooled features before the
    classifier."""
    b = S.Builder("torch_bn_standalone", 13, np.random.RandomState(28))
    x = inp("input", [1, 3, 16, 16], 1)
    t = bn_any(b, x)
    t = S.relu6(b, S.conv(b, t, 8, 3, s=2, bias=True))
    t = S.add(b, t, S.conv(b, t, 8, 3, bias=True))
    t = S.relu(b, bn_any(b, t))
    t = S.flatten(b, T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val)))
    t = bn_any(b, t)
    y = S.gemm(b, t, CLASSES)
    return b, [x], [("input", [1, 3, 16, 16])], y, [1, CLASSES], TORCH, 7, {}


def dims_unset():
    """Opset 13, input and output batch dimensions with neither dim_value nor
    dim_param (legal ONNX: unknown), as some converters write them."""
    b = S.Builder("dims_unset", 13, np.random.RandomState(29))
    x = inp("input", [3, 3, 16, 16], 3)
    t = S.relu6(b, S.conv(b, x, 8, 3, s=2, bias=True))
    t = S.flatten(b, T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val)))
    y = S.gemm(b, t, CLASSES)
    return b, [x], [("input", [None, 3, 16, 16])], y, [None, CLASSES], TORCH, 7, {}


def hswish_orders():
    """Opset 13: more orders and forms of h-swish, each after its own conv,
    all of which mean x·relu6(x+3)/6 and should fuse into the conv:
    Div(Mul(Relu6(x+3), x), 6); Mul(Div(Relu6(3+x), 6), x);
    Mul(1/6, Mul(x, Relu6(x+3))); Mul(x, Mul(Relu6(x+3), 1/6));
    Div(Mul(x, Min(Max(x+3, 0), 6)), 6); Div(Mul(x, Min(Relu(x+3), 6)), 6);
    Div(Mul(x, Relu6(x+3)), 6) with 6 and 3 as [1,1,1,1] tensors; then an SE
    block whose gate is Mul(1/6, Relu6(x+3))."""
    b = S.Builder("hswish_orders", 13, np.random.RandomState(92))
    x = inp("input", [1, 3, 16, 16], 1)
    c = lambda v: S.scalar(b, v)  # noqa: E731
    c4 = lambda v: b.const(np.full((1, 1, 1, 1), v, np.float32))  # noqa: E731
    relu6 = lambda y: b.op("Clip", [y, c(0.0), c(6.0)])  # noqa: E731
    spellings = [
        lambda x: b.op("Div", [b.op("Mul", [relu6(b.op("Add", [x, c(3.0)])), x]), c(6.0)]),
        lambda x: b.op("Mul", [b.op("Div", [relu6(b.op("Add", [c(3.0), x])), c(6.0)]), x]),
        lambda x: b.op("Mul", [c(S.SIXTH), b.op("Mul", [x, relu6(b.op("Add", [x, c(3.0)]))])]),
        lambda x: b.op("Mul", [x, b.op("Mul", [relu6(b.op("Add", [x, c(3.0)])), c(S.SIXTH)])]),
        lambda x: b.op("Div", [b.op("Mul", [x, b.op("Min", [b.op("Max", [b.op("Add", [x, c(3.0)]), c(0.0)]), c(6.0)])]), c(6.0)]),
        lambda x: b.op("Div", [b.op("Mul", [x, b.op("Min", [b.op("Relu", [b.op("Add", [x, c(3.0)])]), c(6.0)])]), c(6.0)]),
        lambda x: b.op("Div", [b.op("Mul", [x, relu6(b.op("Add", [x, c4(3.0)]))]), c4(6.0)]),
    ]
    t = S.conv(b, x, 16, 3, s=2, bias=True)
    t = T(spellings[0](t.name), F.hswish(t.val))
    for i, f in enumerate(spellings[1:]):
        t = S.conv(b, t, 16, 3 if i % 2 else 1, group=16 if i % 2 else 1, bias=True)
        t = T(f(t.name), F.hswish(t.val))
    s = S.relu(b, S.conv(b, S.reduce_mean(b, t, [2, 3], 1), 8, 1, bias=True))
    s = S.conv(b, s, 16, 1, bias=True)
    g = b.op("Mul", [c(S.SIXTH), relu6(b.op("Add", [s.name, c(3.0)]))])
    t = T(b.op("Mul", [t.name, g]), t.val * F.hsigmoid(s.val))
    t = S.flatten(b, T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val)))
    y = S.gemm(b, t, CLASSES)
    return b, [x], [("input", [1, 3, 16, 16])], y, [1, CLASSES], TORCH, 7, {}


def paddle_v3():
    """paddle2onnx opset 13 of a PaddleClas MobileNetV3 block, whose SE gate
    is hard_sigmoid(slope=0.2, offset=0.5): HardSigmoid(alpha=0.2, beta=0.5)
    straight after the SE's second conv (so a fused epilogue must honour
    alpha and beta), h-swish as HardSigmoid(1/6, 0.5)·x, a Keras-style
    HardSigmoid(0.2, 0.5) activation right after a conv too, and
    Reshape [0, -1] → MatMul + Add → Softmax(axis=1)."""
    b = S.Builder("paddle_v3", 13, np.random.RandomState(93))
    x = inp("x", [1, 3, 16, 16], 1)

    def hsig(t, alpha, beta):
        return T(b.op("HardSigmoid", [t.name], alpha=alpha, beta=beta),
                 np.clip(np.float32(alpha) * t.val + beta, 0, 1))
    t = S.hswish(b, S.bn(b, S.conv(b, x, 16, 3, s=2)), "hsig_rev")
    skip = t
    t = S.hswish(b, S.bn(b, S.conv(b, t, 32, 1)), "hsig_rev")
    t = S.hswish(b, S.bn(b, S.conv(b, t, 32, 5, group=32)), "hsig_rev")
    s = S.relu(b, S.conv(b, T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val)), 8, 1, bias=True))
    s = hsig(S.conv(b, s, 32, 1, bias=True), 0.2, 0.5)
    t = T(b.op("Mul", [t.name, s.name]), t.val * s.val)
    t = S.add(b, S.bn(b, S.conv(b, t, 16, 1)), skip)
    t = hsig(S.conv(b, t, 24, 1, bias=True), 0.2, 0.5)
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    t = T(b.op("Reshape", [t.name, b.const(np.array([0, -1]), np.int64)]), t.val.reshape(1, -1))
    t = S.matmul_add(b, t, CLASSES)
    y = T(b.op("Softmax", [t.name], axis=1), F.softmax(t.val, 1))
    return b, [x], [("x", [1, 3, 16, 16])], y, [1, CLASSES], ("PaddlePaddle", "2.4"), 7, {}


def epilogue_order():
    """Opset 14 orders of bias, residual and activation that a fuser must
    keep apart: conv → Relu6 → Add(skip) (activation before the residual);
    conv → Add(skip) → Relu6 (after); conv → Add of a [1,C,1,1] bias →
    Mul by a [1,C,1,1] scale → HardSwish (bias and scale split out of the
    conv); Relu(convA(t) + convB(t)) (two convs summed); Relu then Relu6
    (merged clamps)."""
    b = S.Builder("epilogue_order", 14, np.random.RandomState(94))
    x = inp("input", [1, 3, 16, 16], 1)
    t = S.relu6(b, S.conv(b, x, 16, 3, s=2, bias=True))
    t = S.add(b, S.relu6(b, S.conv(b, t, 16, 3, bias=True)), t)
    t = S.relu6(b, S.add(b, t, S.conv(b, t, 16, 1, bias=True)))
    c = S.conv(b, t, 16, 3, group=16)
    bias = S.small(b.rng, 16, 0.5).reshape(1, 16, 1, 1)
    scale = b.rng.uniform(0.5, 1.5, 16).astype(np.float32).reshape(1, 16, 1, 1)
    c = T(b.op("Add", [c.name, b.const(bias)]), c.val + bias)
    c = T(b.op("Mul", [c.name, b.const(scale)]), c.val * scale)
    t = S.hswish(b, c, "op")
    t = S.relu(b, S.add(b, S.conv(b, t, 16, 1, bias=True), S.conv(b, t, 16, 3, bias=True)))
    t = S.relu6(b, S.relu(b, S.conv(b, t, 24, 1, bias=True)))
    t = S.flatten(b, T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val)))
    y = S.gemm(b, t, CLASSES)
    return b, [x], [("input", [1, 3, 16, 16])], y, [1, CLASSES], TORCH, 8, {}


def ssd_head(static_batch=None):
    """torch.onnx opset 13 of an SSDLite-style box head (torchvision
    ssdlite320_mobilenet_v3_large), symbolic batch "batch_size" (or
    static_batch): two feature maps (8×8 and 4×4), each a 3×3 depthwise +
    1×1 conv to anchors·4 channels → Transpose(0,2,3,1) →
    Reshape(Concat(Unsqueeze(Gather(Shape, 0)), [-1, 4])) → Concat on axis
    1: a 3-D output [N, 8·8·2 + 4·4·3, 4]."""
    name = "ssd_head" if static_batch is None else "ssd_head_b%d" % static_batch
    b = S.Builder(name, 13, np.random.RandomState(95))
    n = static_batch or "batch_size"
    shape = [n, 3, 32, 32]
    x = inp("input", shape, static_batch or 3)
    f1 = S.relu6(b, S.conv(b, S.relu6(b, S.conv(b, x, 16, 3, s=2, bias=True)), 16, 3, s=2, bias=True))  # 8×8
    f2 = S.relu6(b, S.conv(b, f1, 24, 3, s=2, bias=True))  # 4×4

    def boxes(f, anchors):
        t = S.conv(b, S.relu6(b, S.conv(b, f, f.val.shape[1], 3, group=f.val.shape[1], bias=True)), anchors * 4, 1, bias=True)
        t = T(b.op("Transpose", [t.name], perm=[0, 2, 3, 1]), t.val.transpose(0, 2, 3, 1))
        nb = b.op("Gather", [b.op("Shape", [t.name]), b.const(np.array(0), np.int64)], axis=0)
        target = b.op("Concat", [S.unsqueeze(b, nb, [0]), b.const(np.array([-1, 4]), np.int64)], axis=0)
        return T(b.op("Reshape", [t.name, target]), t.val.reshape(t.val.shape[0], -1, 4))
    a, c = boxes(f1, 2), boxes(f2, 3)
    y = T(b.op("Concat", [a.name, c.name], axis=1), np.concatenate([a.val, c.val], axis=1))
    return b, [x], [("input", shape)], y, [n, 8 * 8 * 2 + 4 * 4 * 3, 4], TORCH, 7, {}


def ssd_head_b1():
    """ssd_head with a static batch of 1."""
    return ssd_head(1)


def ssd_outputs():
    """SSDLite-style head with three graph outputs, as detection exporters
    write them: boxes [N, 176, 4]; class scores [N, 176, 3] after a
    Softmax(axis=-1) on the 3-D tensor; and the backbone's 4×4 feature map,
    which is a graph output and also read by both heads. Symbolic batch
    "batch_size" (runs at 1 and 3)."""
    b = S.Builder("ssd_outputs", 13, np.random.RandomState(96))
    shape = ["batch_size", 3, 32, 32]
    x = inp("input", shape, 3)
    f1 = S.relu6(b, S.conv(b, S.relu6(b, S.conv(b, x, 16, 3, s=2, bias=True)), 16, 3, s=2, bias=True))
    f2 = S.relu6(b, S.conv(b, f1, 24, 3, s=2, bias=True))

    def head(f, anchors, k):
        t = S.conv(b, f, anchors * k, 1, bias=True)
        t = T(b.op("Transpose", [t.name], perm=[0, 2, 3, 1]), t.val.transpose(0, 2, 3, 1))
        nb = b.op("Gather", [b.op("Shape", [t.name]), b.const(np.array(0), np.int64)], axis=0)
        target = b.op("Concat", [S.unsqueeze(b, nb, [0]), b.const(np.array([-1, k]), np.int64)], axis=0)
        return T(b.op("Reshape", [t.name, target]), t.val.reshape(t.val.shape[0], -1, k))

    def both(k):
        a, c = head(f1, 2, k), head(f2, 3, k)
        return T(b.op("Concat", [a.name, c.name], axis=1), np.concatenate([a.val, c.val], axis=1))
    sc = both(3)
    scores = T(b.op("Softmax", [sc.name], axis=-1), F.softmax(sc.val, -1))
    y = both(4)
    return b, [x], [("input", shape)], y, ["batch_size", 176, 4], TORCH, 7, {
        "extra_outputs": [(scores, ["batch_size", 176, 3]), (f2, ["batch_size", 24, 4, 4])]}


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


MODELS = [torch9_v1, torch8_v2, torch11_v3, torch13_v3_clipdiv, torch13_v3_squeeze, torch17_hardswish,
          torch18_matmul, tf_nhwc_edge, tf_nhwc_wrapped, odd_opset11, odd_opset13, ext_data, near_miss,
          torch15_variants, tf_variants, pad_dynbatch, fc_variants, tf_v3_se, tf_seg_head,
          odd_pools, torch_fpad11, torch_fpad13, odd_channels, torch21, tf_flatten,
          tf_flatten_b2, torch_view_dyn, odd_opset11_dyn, torch_bn_standalone,
          dims_unset, hswish_orders, ext_subdir, paddle_v3, epilogue_order,
          ssd_head, ssd_head_b1, ssd_outputs, alias_outputs]


def write_f32(path, a):
    np.ascontiguousarray(a, dtype="<f4").tofile(path)


def emit(fn):
    b, xs, in_specs, y, out_shape, producer, ir_version, opts = fn()
    out_name = opts.get("out_name", "output")
    # The last node computes y; give its output the graph output name.
    assert b.nodes[-1].output[0] == y.name, (b.name, y.name)
    b.nodes[-1].output[0] = out_name
    extra = opts.get("extra_outputs", [])  # [(T, declared shape)]: intermediates also read by other nodes
    m = b.model(in_specs, [(out_name, out_shape)] + [(t.name, sh) for t, sh in extra], producer, ir_version,
                opts.get("inits_as_inputs", False))
    for domain, version in opts.get("extra_opsets", []):
        m.opset_import.append(onnx.helper.make_opsetid(domain, version))
    if opts.get("infer_shapes"):  # torch.onnx writes value_info for every intermediate
        m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        assert len(m.graph.value_info) > 0
    if b.opset <= onnx.defs.onnx_opset_version():
        onnx.checker.check_model(m, full_check=True)
    path = os.path.join(OUT_DIR, b.name + ".onnx")
    if "external" in opts:
        loc = opts["external"]
        os.makedirs(os.path.dirname(os.path.join(OUT_DIR, loc)), exist_ok=True)
        if os.path.exists(os.path.join(OUT_DIR, loc)):
            os.remove(os.path.join(OUT_DIR, loc))  # onnx appends to an existing file
        onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location=loc,
                  size_threshold=0)
        onnx.checker.check_model(path)
    else:
        onnx.save(m, path)
    write_f32(os.path.join(OUT_DIR, b.name + ".in.bin"), xs[0].val)
    MANIFEST[b.name] = {"input": in_specs[0][0], "shape": list(xs[0].val.shape), "output": out_name,
                        "out_shape": list(y.val.shape)}
    write_f32(os.path.join(OUT_DIR, b.name + ".out.bin"), y.val)
    for i, (t, _) in enumerate(extra):
        write_f32(os.path.join(OUT_DIR, "%s.out%d.bin" % (b.name, i + 1)), t.val)
    if extra:
        MANIFEST[b.name]["extra_outputs"] = [{"name": t.name, "shape": list(t.val.shape)} for t, _ in extra]
    print("%-20s opset %2d  in %s  out %s  max|y| %.3g" % (b.name, b.opset, list(xs[0].val.shape),
                                                          list(y.val.shape), np.abs(y.val).max()))


# ---- models mnc cannot run: the importer must refuse them with an error
# that names the file and the node or tensor at fault (never panic). They
# have no reference output and are not in the manifest.

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


REJECTS = [reject_fp16, reject_dynamic_hw, reject_resize, reject_weight_input, reject_ort_fused, reject_opset22,
           reject_ext_escape, reject_ext_absolute]


def emit_reject(fn):
    b, in_specs, out_shape = fn()
    b.nodes[-1].output[0] = "output"
    m = b.model(in_specs, [("output", out_shape)], TORCH, 7)
    for domain, version in getattr(b, "extra_opsets", []):
        m.opset_import.append(onnx.helper.make_opsetid(domain, version))
    if b.opset <= onnx.defs.onnx_opset_version() and not getattr(b, "extra_opsets", None) \
            and not getattr(b, "unchecked", False):
        onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(OUT_DIR, b.name + ".onnx"))
    print("%-20s opset %2d  (must be rejected)" % (b.name, b.opset))


MANIFEST = {}


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for fn in MODELS:
        emit(fn)
    for fn in REJECTS:
        emit_reject(fn)
    # For check_ort.js: each model's input/output names and concrete shapes.
    with open(os.path.join(OUT_DIR, "manifest.json"), "w") as f:
        json.dump(MANIFEST, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
