"""ONNX graph building in the spellings real exporters use.

Builder collects nodes and weights of one model; the spelled helpers below
emit one operator's exporter spelling into the graph and, beside it,
compute the operator's meaning with nputil (float64). A helper takes and
returns T(name, val): the ONNX value name and its numpy reference value.
"""

from collections import namedtuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import nputil as F

T = namedtuple("T", "name val")

SIXTH = np.float32(1.0 / 6.0)  # what torch writes for 1/6 (0.16666667)


class Builder:
    """One model under construction.

    opset: the default-domain opset; weights: "init" (initializers) or
    "constant" (Constant nodes, as torch.onnx does for folded constants);
    names: "torch" (numeric value names like torch.onnx's "input.4"),
    "tf" (tf2onnx's "model/conv2d/Conv2D:0") or "paddle" (paddle2onnx's
    "p2o.Conv.3", node and output alike)."""

    def __init__(self, name, opset, rng, weights="init", names="torch"):
        self.name, self.opset, self.rng = name, opset, rng
        self.weights, self.names = weights, names
        self.nodes, self.inits = [], []
        self.k = 0
        self.anonymous = False  # nodes without names (some tf2onnx versions)
        self.typed_fields = False  # tensors in float_data/int64_data, not raw_data

    def fresh(self, base):
        self.k += 1
        if self.names == "tf":
            return "model/%s_%d/%s:0" % (base.lower(), self.k, base)
        if self.names == "paddle":
            return "p2o.%s.%d" % (base, self.k)
        return "%s.%d" % (base.lower(), self.k)

    def const(self, arr, dtype=np.float32, as_node=None):
        """A constant: an initializer, or a Constant node when as_node (default:
        the builder's weights mode)."""
        arr = np.asarray(arr, dtype=dtype)
        name = self.fresh("Const")
        if self.typed_fields:
            kind = helper.np_dtype_to_tensor_dtype(arr.dtype) if hasattr(helper, "np_dtype_to_tensor_dtype") \
                else onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[arr.dtype]
            tensor = helper.make_tensor(name, kind, arr.shape, arr.flatten().tolist())
        else:
            tensor = numpy_helper.from_array(arr, name)
        if as_node if as_node is not None else self.weights == "constant":
            self.nodes.append(helper.make_node("Constant", [], [name], name=name + "_node", value=tensor))
        else:
            self.inits.append(tensor)
        return name

    def op(self, op_type, inputs, n_out=1, **attrs):
        base = self.fresh(op_type)
        outs = [base] + ["%s_out%d" % (base, i) for i in range(1, n_out)]
        node_name = ("%s_%d" % (op_type, self.k)) if self.names == "torch" else "StatefulPartitionedCall/" + base[:-2]
        if self.names == "paddle":
            node_name = base
        if self.anonymous:
            node_name = None
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=node_name, **attrs))
        return outs[0]

    def model(self, inputs, outputs, producer, ir_version, inits_as_inputs=False):
        """inputs/outputs: [(name, shape)] with str dims for symbolic ones."""
        def vi(name, shape):
            return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))
        gin = [vi(n, s) for n, s in inputs]
        if inits_as_inputs:  # old torch.onnx (keep_initializers_as_inputs)
            gin += [vi(t.name, t.dims) for t in self.inits]
        g = helper.make_graph(self.nodes, self.name, gin, [vi(n, s) for n, s in outputs], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name=producer[0], producer_version=producer[1])
        m.ir_version = ir_version
        return m


# ---- weights ----

def conv_weight(rng, m, cg, k):
    """He (fan-in) initialisation, float32."""
    return (rng.standard_normal((m, cg, k, k)) * np.sqrt(2.0 / (cg * k * k))).astype(np.float32)


def small(rng, n, scale=0.1):
    return (rng.uniform(-scale, scale, n)).astype(np.float32)


def bn_params(rng, x):
    """BatchNorm parameters calibrated on x's per-channel statistics (so
    activations stay O(1)), gamma ~ U(0.5,1.5), beta ~ U(-0.25,0.25)."""
    c = x.shape[1]
    mean = (x.mean(axis=(0, 2, 3)) + rng.uniform(-0.05, 0.05, c)).astype(np.float32)
    var = (x.var(axis=(0, 2, 3)) * rng.uniform(0.8, 1.2, c) + 1e-3).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
    beta = rng.uniform(-0.25, 0.25, c).astype(np.float32)
    return gamma, beta, mean, var


# ---- layers ----

def conv(b, t, m, k, s=1, group=1, pad="sym", bias=False, dil=1, omit_kernel_shape=False, auto_pad=None):
    """Conv with He weights. pad: "sym" (k//2·dil on every side), a
    (top, left, bottom, right) tuple, or "same_upper" (auto_pad attribute)."""
    c = t.val.shape[1]
    w = conv_weight(b.rng, m, c // group, k)
    bv = small(b.rng, m) if bias else None
    attrs = {"strides": [s, s]}
    if not omit_kernel_shape:
        attrs["kernel_shape"] = [k, k]
    if group != 1:
        attrs["group"] = group
    if dil != 1:
        attrs["dilations"] = [dil, dil]
    if pad == "same_upper":
        attrs["auto_pad"] = "SAME_UPPER"
        pads = F.same_upper_pads(t.val.shape[2], t.val.shape[3], k, s, dil)
    else:
        pads = (dil * (k // 2),) * 4 if pad == "sym" else tuple(pad)
        if any(pads):
            attrs["pads"] = list(pads)
        if auto_pad:  # "VALID" (no padding) or "NOTSET" (explicit pads)
            assert auto_pad == "NOTSET" or not any(pads)
            attrs["auto_pad"] = auto_pad
    ins = [t.name, b.const(w)] + ([b.const(bv)] if bias else [])
    return T(b.op("Conv", ins, **attrs), F.conv(t.val, w, bv, (s, s), pads, (dil, dil), group))


def bn(b, t, eps=1e-5, spatial=None):
    """BatchNormalization with its 5 inputs (spatial=1 only before opset 9)."""
    p = bn_params(b.rng, t.val)
    attrs = {"epsilon": eps}
    if spatial is not None:
        attrs["spatial"] = spatial
    name = b.op("BatchNormalization", [t.name] + [b.const(a) for a in p], **attrs)
    return T(name, F.batchnorm(t.val, *p, eps))


def scalar(b, v, style="0d", as_node=None):
    """A scalar constant as torch writes it (0-d) or tf2onnx ([1])."""
    return b.const(np.array(v if style == "0d" else [v], dtype=np.float32), as_node=as_node)


def clip(b, t, lo, hi, as_node=None):
    """Clip in the opset's form: attributes before 11, min/max inputs from 11
    (hi None: Clip with only min, the way torch exports clamp(min=0))."""
    if b.opset < 11:
        name = b.op("Clip", [t.name], min=float(lo), max=float(hi))
    else:
        ins = [t.name, scalar(b, lo, as_node=as_node)]
        if hi is not None:
            ins.append(scalar(b, hi, as_node=as_node))
        name = b.op("Clip", ins)
    return T(name, None if t.val is None else np.clip(t.val, lo, np.inf if hi is None else hi))


def relu6(b, t, as_node=None):
    return clip(b, t, 0.0, 6.0, as_node)


def relu(b, t):
    return T(b.op("Relu", [t.name]), F.relu(t.val))


def _plus3_relu6(b, t, const_first=False):
    three = scalar(b, 3.0)
    add = b.op("Add", [three, t.name] if const_first else [t.name, three])
    return relu6(b, T(add, None)).name


def hsigmoid(b, t, spelling):
    """h-sigmoid spellings: "op" HardSigmoid(alpha 1/6, beta 0.5);
    "clipdiv" Clip(x+3,0,6)/6; "mul16" Clip(x+3,0,6)·0.16666667."""
    if spelling == "op":
        name = b.op("HardSigmoid", [t.name], alpha=float(SIXTH), beta=0.5)
    elif spelling == "clipdiv":
        name = b.op("Div", [_plus3_relu6(b, t), scalar(b, 6.0)])
    elif spelling == "mul16":
        name = b.op("Mul", [_plus3_relu6(b, t), scalar(b, SIXTH, "1d")])
    else:
        raise ValueError(spelling)
    return T(name, F.hsigmoid(t.val))


def hswish(b, t, spelling):
    """h-swish spellings: "op" HardSwish (opset 14+); "hsig" x·HardSigmoid(x);
    "hsig_rev" HardSigmoid(x)·x; "clipdiv" (x·Clip(x+3,0,6))/6 (torch's
    x * F.relu6(x + 3) / 6); "relu6div" x·(Relu6(3+x)/6); "mul16"
    (x·Relu6(x+3))·0.16666667 (tf2onnx)."""
    x = t.name
    if spelling == "op":
        name = b.op("HardSwish", [x])
    elif spelling in ("hsig", "hsig_rev"):
        g = b.op("HardSigmoid", [x], alpha=float(SIXTH), beta=0.5)
        name = b.op("Mul", [x, g] if spelling == "hsig" else [g, x])
    elif spelling == "clipdiv":
        name = b.op("Div", [b.op("Mul", [x, _plus3_relu6(b, t)]), scalar(b, 6.0)])
    elif spelling == "relu6div":
        name = b.op("Mul", [x, b.op("Div", [_plus3_relu6(b, t, const_first=True), scalar(b, 6.0)])])
    elif spelling == "mul16":
        name = b.op("Mul", [b.op("Mul", [x, _plus3_relu6(b, t)]), scalar(b, SIXTH, "1d")])
    else:
        raise ValueError(spelling)
    return T(name, F.hswish(t.val))


def reduce_mean(b, t, axes, keepdims):
    """ReduceMean: axes as an attribute before opset 18, as an input from 18."""
    if b.opset >= 18:
        name = b.op("ReduceMean", [t.name, b.const(np.array(axes), np.int64)], keepdims=keepdims)
    else:
        name = b.op("ReduceMean", [t.name], axes=list(axes), keepdims=keepdims)
    return T(name, t.val.mean(axis=tuple(axes), keepdims=bool(keepdims)))


def squeeze(b, t, axes):
    """Squeeze: axes as an attribute before opset 13, as an input from 13."""
    if b.opset >= 13:
        name = b.op("Squeeze", [t.name, b.const(np.array(axes), np.int64)])
    else:
        name = b.op("Squeeze", [t.name], axes=list(axes))
    return T(name, np.squeeze(t.val, axis=tuple(axes)))


def unsqueeze(b, name, axes):
    if b.opset >= 13:
        return b.op("Unsqueeze", [name, b.const(np.array(axes), np.int64)])
    return b.op("Unsqueeze", [name], axes=list(axes))


def se(b, t, squeeze_c, pool, gate, scale_first=False):
    """Squeeze-and-excitation: pool ("gap" GlobalAveragePool or "rm"
    ReduceMean(axes=[2,3], keepdims=1)) → 1×1 conv → Relu → 1×1 conv →
    h-sigmoid (spelling gate) → Mul with x (operands in either order)."""
    s = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val)) if pool == "gap" else reduce_mean(b, t, [2, 3], 1)
    s = relu(b, conv(b, s, squeeze_c, 1, bias=True))
    s = hsigmoid(b, conv(b, s, t.val.shape[1], 1, bias=True), gate)
    return T(b.op("Mul", [s.name, t.name] if scale_first else [t.name, s.name]), t.val * s.val)


def add(b, x, y):
    """Residual Add with the operands in the given order."""
    return T(b.op("Add", [x.name, y.name]), x.val + y.val)


def flatten_shape_chain(b, t):
    """torch.onnx's x.view(x.size(0), -1): Shape → Gather(0) → Unsqueeze →
    Concat with [-1] → Reshape (the batch dimension read at run time)."""
    shp = b.op("Shape", [t.name])
    n = b.op("Gather", [shp, b.const(np.array(0), np.int64)], axis=0)
    target = b.op("Concat", [unsqueeze(b, n, [0]), b.const(np.array([-1]), np.int64)], axis=0)
    return T(b.op("Reshape", [t.name, target]), t.val.reshape(t.val.shape[0], -1))


def flatten(b, t):
    return T(b.op("Flatten", [t.name], axis=1), t.val.reshape(t.val.shape[0], -1))


def gemm(b, t, n, trans_b=True):
    """Classifier Gemm with bias: torch's transB=1 with W [n, k], or
    transB=0 with the transposed weight [k, n]."""
    k = t.val.shape[1]
    w = (b.rng.standard_normal((n, k)) / np.sqrt(k)).astype(np.float32)
    bias = small(b.rng, n, 0.01)  # small: the logits must depend on the features
    if trans_b:
        name = b.op("Gemm", [t.name, b.const(w), b.const(bias)], alpha=1.0, beta=1.0, transB=1)
    else:
        name = b.op("Gemm", [t.name, b.const(np.ascontiguousarray(w.T)), b.const(bias)])
    return T(name, t.val @ w.T.astype(np.float64) + bias)


def matmul_add(b, t, n):
    """Classifier as MatMul by [k, n] then Add of [n] (tf2onnx, torch 2 opset 18)."""
    k = t.val.shape[-1]
    w = (b.rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    bias = small(b.rng, n, 0.01)
    mm = b.op("MatMul", [t.name, b.const(w)])
    return T(b.op("Add", [mm, b.const(bias)]), t.val @ w.astype(np.float64) + bias)


def dropout(b, t, ratio):
    """Inference Dropout: ratio as an attribute before opset 12, an input from 12."""
    if b.opset >= 12:
        return T(b.op("Dropout", [t.name, scalar(b, ratio, "0d")]), t.val)
    return T(b.op("Dropout", [t.name], ratio=ratio), t.val)
