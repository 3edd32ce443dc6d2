"""Independent float64 numpy forward ops for make.py's reference outputs.

Every function here computes an operator's *meaning* (NCHW, ONNX
semantics), not the way an exporter spells it: make.py emits, say,
x*Clip(x+3,0,6)/6 into the ONNX graph but computes hswish(x) here, so a
model whose spelling is misread by an importer disagrees with these values.
"""

import math

import numpy as np


def fixed_input(shape):
    """The documented deterministic input, float32, row-major flat index i:
    h = (i * 2654435761) mod 2^32; x[i] = ((h >> 24) - 128) / 128."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761)) % np.uint64(2**32)
    x = ((h >> np.uint64(24)).astype(np.int64) - 128).astype(np.float32) / np.float32(128)
    return x.reshape(shape)


def conv(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dil=(1, 1), group=1):
    """2-D convolution; pads in ONNX order (top, left, bottom, right)."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    assert c == cg * group and m % group == 0
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + pl + pr - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xg = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * dil[0], j * dil[1]
                patch = xg[:, :, r0:r0 + stride[0] * (oh - 1) + 1:stride[0], c0:c0 + stride[1] * (ow - 1) + 1:stride[1]]
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, wg[:, :, i, j])
    if b is not None:
        out += b.astype(np.float64).reshape(1, -1, 1, 1)
    return out


def same_upper_pads(h, w, k, s, d=1):
    """auto_pad SAME_UPPER pads (top, left, bottom, right): output ceil(in/s),
    the odd pixel of padding at the end."""
    out = []
    for size in (h, w):
        total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
        out.append((total // 2, total - total // 2))
    return (out[0][0], out[1][0], out[0][1], out[1][1])


def batchnorm(x, gamma, beta, mean, var, eps):
    sh = (1, -1, 1, 1)
    g, b, m, v = (a.astype(np.float64).reshape(sh) for a in (gamma, beta, mean, var))
    return (x - m) / np.sqrt(v + eps) * g + b


def relu(x):
    return np.maximum(x, 0)


def relu6(x):
    return np.clip(x, 0, 6)


def hsigmoid(x):
    return np.clip(x + 3, 0, 6) / 6


def hswish(x):
    return x * np.clip(x + 3, 0, 6) / 6


def gap(x):
    """Global average pool, keeping [N, C, 1, 1]."""
    return x.mean(axis=(2, 3), keepdims=True)


def avgpool_include_pad(x, k, s, p):
    """AveragePool with count_include_pad=1: zero padding counts in the mean."""
    c = x.shape[1]
    w = np.ones((c, 1, k, k)) / (k * k)
    return conv(x, w, stride=(s, s), pads=(p, p, p, p), group=c)


def maxpool_ceil(x, k, s):
    """MaxPool, no padding, ceil_mode=1: a last partial window is kept (every
    window here starts inside the input)."""
    n, c, h, w = x.shape
    oh, ow = -(-(h - k) // s) + 1, -(-(w - k) // s) + 1
    xp = np.full((n, c, (oh - 1) * s + k, (ow - 1) * s + k), -np.inf)
    xp[:, :, :h, :w] = x
    out = np.full((n, c, oh, ow), -np.inf)
    for i in range(k):
        for j in range(k):
            out = np.maximum(out, xp[:, :, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s])
    return out


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_coerced(x, axis):
    """Softmax before opset 13: x flattened to 2-D at axis, softmax over the
    second dimension, reshaped back."""
    n = int(np.prod(x.shape[:axis]))
    return softmax(x.reshape(n, -1), 1).reshape(x.shape)


def pool2d(x, kind, k, s, pads=(0, 0, 0, 0), ceil_mode=False, count_include_pad=False):
    """General 2-D max/average pool, ONNX semantics: pads (top, left, bottom,
    right); with ceil_mode the output may take one more window, which must
    start inside the input or its begin padding; the part of a window past
    the end padding is ignored; an average divides by the window's elements
    inside input + padding (count_include_pad) or inside the input only."""
    n, c, h, w = x.shape
    pt, pl, pb, pr = pads

    def out_size(size, p0, p1):
        span = size + p0 + p1 - k
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= size + p0:
            o -= 1
        return o
    oh, ow = out_size(h, pt, pb), out_size(w, pl, pr)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - pt, j * s - pl
            r1, c1 = min(r0 + k, h + pb), min(c0 + k, w + pr)  # window clipped to input + padding
            vr0, vc0, vr1, vc1 = max(r0, 0), max(c0, 0), min(r1, h), min(c1, w)
            win = x[:, :, vr0:vr1, vc0:vc1]
            if kind == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                cnt = (r1 - r0) * (c1 - c0) if count_include_pad else (vr1 - vr0) * (vc1 - vc0)
                out[:, :, i, j] = win.sum(axis=(2, 3)) / cnt
    return out
