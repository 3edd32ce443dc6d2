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
                  com.microsoft and external-data rejects; check_ort.js also
                  runs every runnable model in ONNX Runtime)
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

Weights: He (fan-in) conv weights, conv biases U(-0.1,0.1), classifier biases
U(-0.01,0.01) (the logits must depend on the features), BatchNorm statistics
calibrated on the test input (activations stay O(1)).

Files: nputil.py (the numpy reference ops), spell.py (the graph builder and
the exporters' spellings of each operator), common.py, models_torch.py,
models_tf.py, models_odd.py, models_shapes.py (the runnable models), rejects.py (reject_*:
models mnc cannot run, which the importer must refuse with a clear error),
check_ort.js (cross-check with ONNX Runtime).

The runnable models (see each function's docstring for its spelling):

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
  paddle_cls_dyn    paddle2onnx opset 11: input [N, 3, H, W] all symbolic
                    (p2o.DynamicDimension.k), Constant-node weights, p2o names;
                    data at 3×3×24×40 (mnc needs -shape)
  tf_same_pad       TF "same" padding from Shape → Gather → Cast → Div → Ceil →
                    Sub → Mul → Add → Sub → Max → Floor (float, for H) and Div/Mod/
                    Min (integer, for W) → Unsqueeze → Concat → Pad → Conv, at
                    strides 1 and 2 on odd and even sizes; batch "unk__21"
  det_two_heads     two graph outputs "scores:0" [N,48,3] and "boxes/reg:0"
                    [N,48,4] (Transpose → Reshape [0,-1,k] heads)
  torch_batch_arith x.view(x.size(0) * 4, -1) → Gemm → view(x.size(0), -1): Reshape
                    targets computed from the symbolic batch (folds once the
                    batch is known: mnc infers it from the input's size)
  torch17_mnv4      torch.onnx opset 17 of a narrow timm mobilenetv4_conv_small
                    (models_mnv4.py): BatchNorm folded into conv biases, UIB
                    blocks of every kind (ExtraDW, IB, ConvNeXt-like, FFN),
                    FusedIB, layer scale as Mul by [1,C,1,1], 1×1 conv head
                    after GlobalAveragePool; batch "batch_size", 72×72
  torch18_mnv4_unfolded  the same blocks without the exporter's folding,
                    opset 18: Conv → BatchNormalization, layer scale through
                    Reshape(gamma, [1,-1,1,1]), ReduceMean(axes [-1,-2]) pool,
                    Shape-chain flatten; batch "batch_size", 40×40
"""

import json
import os
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)

from common import TORCH  # noqa: E402
from models_odd import near_miss, odd_channels, odd_opset11, odd_opset11_dyn, odd_opset13, odd_pools  # noqa: E402
from models_tf import (alias_outputs, tf_flatten, tf_flatten_b2, tf_nhwc_edge, tf_nhwc_wrapped,  # noqa: E402
                       tf_seg_head, tf_v3_se, tf_variants)
from models_torch import (dims_unset, epilogue_order, ext_data, ext_subdir, fc_variants, hswish_orders,  # noqa: E402
                          pad_dynbatch, paddle_v3, ssd_head, ssd_head_b1, ssd_outputs, torch8_v2, torch9_v1,
                          torch11_v3, torch13_v3_clipdiv, torch13_v3_squeeze, torch15_variants, torch17_hardswish,
                          torch18_matmul, torch21, torch_bn_standalone, torch_fpad11, torch_fpad13, torch_view_dyn)
from models_mnv4 import torch17_mnv4, torch18_mnv4_unfolded  # noqa: E402
from models_shapes import det_two_heads, paddle_cls_dyn, tf_same_pad, torch_batch_arith  # noqa: E402
from rejects import REJECTS  # noqa: E402

OUT_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "frontend", "onnx", "testdata", "exporters")

MODELS = [torch9_v1, torch8_v2, torch11_v3, torch13_v3_clipdiv, torch13_v3_squeeze, torch17_hardswish,
          torch18_matmul, tf_nhwc_edge, tf_nhwc_wrapped, odd_opset11, odd_opset13, ext_data, near_miss,
          torch15_variants, tf_variants, pad_dynbatch, fc_variants, tf_v3_se, tf_seg_head,
          odd_pools, torch_fpad11, torch_fpad13, odd_channels, torch21, tf_flatten,
          tf_flatten_b2, torch_view_dyn, odd_opset11_dyn, torch_bn_standalone,
          dims_unset, hswish_orders, ext_subdir, paddle_v3, epilogue_order,
          ssd_head, ssd_head_b1, ssd_outputs, alias_outputs, paddle_cls_dyn, tf_same_pad, det_two_heads,
          torch_batch_arith, torch17_mnv4, torch18_mnv4_unfolded]


MANIFEST = {}  # for manifest.json: each model's input/output names and shapes


def write_f32(path, a):
    np.ascontiguousarray(a, dtype="<f4").tofile(path)


def emit(fn):
    """Builds model fn and writes it with its input and outputs. fn returns
    (builder, [input T], [(input name, declared shape)], output T, declared
    output shape, (producer, version), IR version, opts); opts may hold
    out_name (default "output"), extra_outputs [(T, declared shape)],
    external (an external-data location), inits_as_inputs, infer_shapes
    and extra_opsets [(domain, version)]. Declared shapes use str (or None)
    for symbolic dimensions."""
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


def emit_reject(fn):
    """Writes reject model fn, which returns (builder, [(input name, declared
    shape)], declared output shape)."""
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
