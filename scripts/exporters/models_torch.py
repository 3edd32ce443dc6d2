"""Models spelled as torch.onnx (opsets 8 to 21) writes them, plus PaddlePaddle's
paddle2onnx and SSD-style detection heads. See make.py for the list."""

import numpy as np
import onnx

import nputil as F
import spell as S
from common import CLASSES, TORCH, inp
from spell import T


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
