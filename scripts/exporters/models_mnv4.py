"""MobileNetV4 (Qin et al. 2024) as torch.onnx writes timm's
mobilenetv4_conv_* models: see make.py for the list.

What torch.onnx (opset 13-17, eval mode, do_constant_folding) makes of
timm's modules (timm/models/_efficientnet_blocks.py):

  ConvNormAct / ConvBnAct   Conv (BatchNorm folded in: weights scaled per
                            output channel, a bias) → Relu, or no Relu
  UniversalInvertedResidual [dw_start Conv k×k, no act] → pw_exp 1×1 → Relu
                            → [dw_mid Conv k×k → Relu] → pw_proj 1×1 (no
                            act) → [Mul by layer_scale gamma [1,C,1,1]] →
                            [Add(x, shortcut)]
  EdgeResidual (FusedIB)    conv_exp dense k×k → Relu → conv_pwl 1×1 →
                            [Add(x, shortcut)]
  head                      AdaptiveAvgPool2d(1) as GlobalAveragePool →
                            conv_head 1×1 (norm_head folded: a bias) → Relu
                            → Flatten(1) → Linear as Gemm transB=1

The conv variants have no layer scale (layer_scale_init_value None); the
hybrid ones (and the paper's TF models) scale every UIB's output by a
learned per-channel gamma, which torch.onnx writes as Mul(x, gamma) with
gamma folded to a [1, C, 1, 1] initializer: three blocks here carry one.
"""

import numpy as np

import nputil as F
import spell as S
from common import CLASSES, inp
from spell import T

TORCH2 = ("pytorch", "2.3.1")


def make_divisible(v, divisor=8):
    """timm's make_divisible: round to the nearest multiple of divisor, never
    below 90% of v."""
    n = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return n + divisor if n < 0.9 * v else n


def conv_bn(b, t, m, k, s=1, group=1, act=True):
    """timm's ConvNormAct as torch.onnx writes it in eval mode: the
    BatchNorm (statistics calibrated on the input, as spell.bn) folded into
    the conv's weights and bias, then Relu when act. A builder with
    unfolded_bn set keeps the bias-free Conv and a BatchNormalization node
    (an exporter that does not fold)."""
    if getattr(b, "unfolded_bn", False):
        out = S.bn(b, S.conv(b, t, m, k, s=s, group=group, pad=(((s - 1) + (k - 1)) // 2,) * 4))
        return S.relu(b, out) if act else out
    c = t.val.shape[1]
    w = S.conv_weight(b.rng, m, c // group, k)
    pads = (((s - 1) + (k - 1)) // 2,) * 4  # timm's symmetric get_padding
    y = F.conv(t.val, w, None, (s, s), pads, (1, 1), group)
    gamma, beta, mean, var = S.bn_params(b.rng, y)
    scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + 1e-5)
    wf = (w * scale.reshape(-1, 1, 1, 1)).astype(np.float32)
    bf = (beta - mean * scale).astype(np.float32)
    attrs = {"dilations": [1, 1], "group": group, "kernel_shape": [k, k], "pads": list(pads), "strides": [s, s]}
    out = T(b.op("Conv", [t.name, b.const(wf), b.const(bf)], **attrs), F.conv(t.val, wf, bf, (s, s), pads, (1, 1), group))
    return S.relu(b, out) if act else out


def layer_scale(b, t):
    """LayerScale2d: x * gamma.view(1, -1, 1, 1), gamma folded to an
    initializer (trained values, not the 1e-5 it starts from); with
    unfolded_bn, the view left as Reshape(gamma [C], [1, -1, 1, 1])."""
    c = t.val.shape[1]
    g = b.rng.uniform(0.2, 1.2, c).astype(np.float32).reshape(1, c, 1, 1)
    if getattr(b, "unfolded_bn", False):
        gname = b.op("Reshape", [b.const(g.reshape(c)), b.const(np.array([1, -1, 1, 1]), np.int64)])
    else:
        gname = b.const(g)
    return T(b.op("Mul", [t.name, gname]), t.val * g.astype(np.float64))


def uir(b, t, start, mid, s, e, out, scale=False):
    """UniversalInvertedResidual 'uir_a{start}_k{mid}_s{s}_e{e}_c{out}': the
    start depthwise takes the stride when there is no middle one."""
    skip, c = t, t.val.shape[1]
    if start:
        t = conv_bn(b, t, c, start, s=1 if mid else s, group=c, act=False)
    hidden = make_divisible(c * e)
    t = conv_bn(b, t, hidden, 1)
    if mid:
        t = conv_bn(b, t, hidden, mid, s=s, group=hidden)
    t = conv_bn(b, t, out, 1, act=False)
    if scale:
        t = layer_scale(b, t)
    if s == 1 and out == c:
        t = S.add(b, t, skip)  # timm: x = self.drop_path(x) + shortcut
    return t


def edge_residual(b, t, k, s, e, out):
    """EdgeResidual (FusedIB) 'er_k{k}_s{s}_e{e}_c{out}': dense k×k expand
    conv → Relu → 1×1 project, the input added when shapes match."""
    skip, c = t, t.val.shape[1]
    t = conv_bn(b, t, make_divisible(c * e), k, s=s)
    t = conv_bn(b, t, out, 1, act=False)
    if s == 1 and out == c:
        t = S.add(b, t, skip)
    return t


def torch17_mnv4():
    """torch.onnx opset 17 of a narrow mobilenetv4_conv_small-like network,
    symbolic batch "batch_size", 72×72 input (odd maps: 9×9, 5×5 and 3×3 in
    the last stages): conv stem; stage 0 plain convs (cn k3 s2, cn k1);
    stage 1 FusedIB s2 and a residual FusedIB; stage 2 ExtraDW s2 (5×5
    start and middle depthwise), IB, ConvNeXt-like (start depthwise only,
    layer scale), FFN (no depthwise, layer scale); stage 3 ExtraDW s2
    (layer scale, no residual), ExtraDW 5×5, IB 5×5; head cn k1 →
    GlobalAveragePool → conv_head 1×1 with folded norm_head → Relu →
    Flatten → Gemm."""
    b = S.Builder("torch17_mnv4", 17, np.random.RandomState(44))
    shape = ["batch_size", 3, 72, 72]
    x = inp("input", shape, 3)
    t = conv_bn(b, x, 16, 3, s=2)  # conv_stem + bn1
    t = conv_bn(b, t, 16, 3, s=2)  # cn_r1_k3_s2_e1_c16
    t = conv_bn(b, t, 16, 1)  # cn_r1_k1_s1_e1_c16
    t = edge_residual(b, t, 3, 2, 2, 24)  # er_r1_k3_s2_e2_c24
    t = edge_residual(b, t, 3, 1, 2, 24)  # er_r1_k3_s1_e2_c24
    t = uir(b, t, 5, 5, 2, 3, 32)  # uir_r1_a5_k5_s2_e3_c32: ExtraDW
    t = uir(b, t, 0, 3, 1, 2, 32)  # uir_r1_a0_k3_s1_e2_c32: IB
    t = uir(b, t, 3, 0, 1, 4, 32, scale=True)  # uir_r1_a3_k0_s1_e4_c32: ConvNeXt
    t = uir(b, t, 0, 0, 1, 2, 32, scale=True)  # uir_r1_a0_k0_s1_e2_c32: FFN
    t = uir(b, t, 3, 3, 2, 3, 40, scale=True)  # uir_r1_a3_k3_s2_e3_c40: ExtraDW
    t = uir(b, t, 5, 5, 1, 3, 40)  # uir_r1_a5_k5_s1_e3_c40: ExtraDW
    t = uir(b, t, 0, 5, 1, 2, 40)  # uir_r1_a0_k5_s1_e2_c40: IB
    t = conv_bn(b, t, 64, 1)  # cn_r1_k1_s1_c64
    t = T(b.op("GlobalAveragePool", [t.name]), F.gap(t.val))
    # conv_head + norm_head + act2: a 1×1 conv with a bias (norm_head's
    # statistics calibrated on three pooled vectors would be meaningless).
    t = S.relu(b, S.conv(b, t, 96, 1, bias=True))
    y = S.gemm(b, S.flatten(b, t), CLASSES)
    return b, [x], [("input", shape)], y, ["batch_size", CLASSES], TORCH2, 8, {}


def torch18_mnv4_unfolded():
    """MobileNetV4 spelled without the exporter's folding (as an exporter
    that keeps BatchNorm and leaves parameter views, opset 18, could write
    it): bias-free Conv → BatchNormalization → Relu, layer scale as
    Mul(x, Reshape(gamma [C], [1,-1,1,1])), the head's pool as
    ReduceMean(axes input [-1, -2], keepdims 1), the 1×1 head conv with its
    BatchNormalization, flatten by Shape → Gather → Unsqueeze → Concat →
    Reshape; symbolic batch "batch_size", 40×40 input (a 2×2 last stage)."""
    b = S.Builder("torch18_mnv4_unfolded", 18, np.random.RandomState(45))
    b.unfolded_bn = True
    shape = ["batch_size", 3, 40, 40]
    x = inp("input", shape, 3)
    t = conv_bn(b, x, 8, 3, s=2)  # conv_stem + bn1
    t = edge_residual(b, t, 3, 2, 2, 16)  # FusedIB
    t = uir(b, t, 3, 3, 2, 3, 16)  # ExtraDW
    t = uir(b, t, 0, 3, 1, 2, 16, scale=True)  # IB
    t = uir(b, t, 5, 0, 1, 2, 16, scale=True)  # ConvNeXt-like
    t = uir(b, t, 0, 0, 1, 2, 16, scale=True)  # FFN
    t = uir(b, t, 3, 3, 2, 2, 24)  # ExtraDW to 3×3
    t = conv_bn(b, t, 32, 1)  # cn k1
    axes = b.const(np.array([-1, -2]), np.int64)
    t = T(b.op("ReduceMean", [t.name, axes], keepdims=1), t.val.mean(axis=(2, 3), keepdims=True))
    # conv_head + norm_head + act2; norm_head's statistics over three pooled
    # vectors would be meaningless, so its BatchNorm gets fixed ones.
    h = S.conv(b, t, 48, 1)
    mean, var = np.zeros(48, np.float32), np.full(48, 0.5, np.float32)
    gamma, beta = b.rng.uniform(0.5, 1.5, 48).astype(np.float32), S.small(b.rng, 48)
    h = T(b.op("BatchNormalization", [h.name] + [b.const(a) for a in (gamma, beta, mean, var)], epsilon=1e-5),
          F.batchnorm(h.val, gamma, beta, mean, var, 1e-5))
    t = S.relu(b, h)
    y = S.gemm(b, S.flatten_shape_chain(b, t), CLASSES)
    return b, [x], [("input", shape)], y, ["batch_size", CLASSES], TORCH2, 8, {}
