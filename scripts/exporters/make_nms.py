#!/usr/bin/python3
"""A small SSD-like model with its post-processing inside the graph, spelled
the way torch.onnx writes torchvision's batched NMS, for dyn/dyn_test.go.

Run with Debian's python3 (python3-onnx 1.12, python3-numpy):

    /usr/bin/python3 scripts/exporters/make_nms.py [OUT_DIR]

OUT_DIR defaults to dyn/testdata. Writes nms_tail.onnx, nms_tail.in.bin
(the documented fixed input, [1,3,16,16]) and nms_tail.out{0,1,2}.bin: the
float64-numpy meaning of the graph's three outputs (boxes [M,4], scores
[M], labels [M] as float32), computed independently of any runtime.

Network (compiled by mnc): Conv 3x3 s2 + Relu, two 1x1 head convs to 4 box
codes and 3 class logits per cell of the 8x8 map, Transpose + Reshape to
[1,64,4] and [1,64,3]. Tail (interpreted): Softmax; decoding with Squeeze,
Slice, Mul, Exp, Min (clamp), Concat; background dropped by Slice; Greater
-> NonZero -> Transpose -> GatherND / Gather for the candidates; k =
Min(20, Shape) -> TopK; batched NMS by per-class offsets (Cast, ReduceMax,
Unsqueeze) -> NonMaxSuppression -> Gather; an If on "no candidates"
(Equal(Size, 0)) whose branches read the outer scope; Range; Where to
clip boxes at 0.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dyn", "testdata")
rng = np.random.RandomState(13)


def fixed_input(shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761)) % np.uint64(2 ** 32)
    return (((h >> np.uint64(24)).astype(np.float64) - 128) / 128).reshape(shape)


nodes, inits = [], []


def init(name, arr, dtype=np.float32):
    inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
    return name


def node(op, ins, outs, **kw):
    nodes.append(helper.make_node(op, ins, outs, name=op.lower() + "_" + outs[0], **kw))
    return outs[0] if len(outs) == 1 else outs


W1 = rng.normal(0, np.sqrt(2 / 27), (8, 3, 3, 3)); B1 = rng.uniform(-0.1, 0.1, 8)
W2 = rng.normal(0, 0.5, (4, 8, 1, 1)); B2 = rng.uniform(-0.1, 0.1, 4)
W3 = rng.normal(0, 1.0, (3, 8, 1, 1)); B3 = np.array([0.5, 0.0, 0.0])
ys, xs = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
acxy = np.stack([(xs.ravel() + 0.5) * 2, (ys.ravel() + 0.5) * 2], 1)  # [64,2] centres in pixels
awh = np.full((64, 2), 8.0)
W1, B1, W2, B2, W3, B3 = [a.astype(np.float32).astype(np.float64) for a in (W1, B1, W2, B2, W3, B3)]

# Network.
c1 = node("Conv", ["input", init("w1", W1), init("b1", B1)], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2], kernel_shape=[3, 3])
r1 = node("Relu", [c1], ["r1"])
reg = node("Conv", [r1, init("w2", W2), init("b2", B2)], ["reg"], kernel_shape=[1, 1])
cls = node("Conv", [r1, init("w3", W3), init("b3", B3)], ["cls"], kernel_shape=[1, 1])
reg2 = node("Reshape", [node("Transpose", [reg], ["reg_t"], perm=[0, 2, 3, 1]), init("s4", [1, -1, 4], np.int64)], ["reg2"])
cls2 = node("Reshape", [node("Transpose", [cls], ["cls_t"], perm=[0, 2, 3, 1]), init("s3", [1, -1, 3], np.int64)], ["cls2"])
# Tail.
probs = node("Softmax", [cls2], ["probs"], axis=-1)
d = node("Squeeze", [reg2, init("ax0", [0], np.int64)], ["d"])
dxy = node("Slice", [d, init("i0", [0], np.int64), init("i2", [2], np.int64), init("ax1", [1], np.int64)], ["dxy"])
dwh = node("Slice", [d, init("i2b", [2], np.int64), init("i4", [4], np.int64), init("ax1b", [1], np.int64)], ["dwh"])
ctr = node("Add", [node("Mul", [node("Mul", [dxy, init("c01", 0.1)], ["dxy_s"]), init("awh", awh)], ["dxy_w"]), init("acxy", acxy)], ["ctr"])
wh = node("Mul", [node("Exp", [node("Min", [node("Mul", [dwh, init("c02", 0.2)], ["dwh_s"]), init("clampv", np.log(1000 / 16))], ["dwh_c"])], ["ewh"]), "awh"], ["wh"])
half = node("Mul", [wh, init("c05", 0.5)], ["half"])
boxes = node("Concat", [node("Sub", [ctr, half], ["lo"]), node("Add", [ctr, half], ["hi"])], ["boxes"], axis=1)
scores = node("Slice", [node("Squeeze", [probs, "ax0"], ["p2"]), init("j1", [1], np.int64), init("j3", [3], np.int64), "ax1"], ["scores"])
idx = node("Transpose", [node("NonZero", [node("Greater", [scores, init("thr", 0.05)], ["mask"])], ["nz"])], ["idx"])
sel_s = node("GatherND", [scores, idx], ["sel_s"])
anc = node("Gather", [idx, init("z0", 0, np.int64)], ["anc"], axis=1)
lab = node("Add", [node("Gather", [idx, init("z1", 1, np.int64)], ["lab0"], axis=1), init("one", 1, np.int64)], ["lab"])
k = node("Min", [init("k20", [20], np.int64), node("Shape", [sel_s], ["nsel"])], ["k"])
topv, topi = node("TopK", [sel_s, k], ["topv", "topi"], axis=0, largest=1, sorted=1)
tb = node("Gather", [boxes, node("Gather", [anc, topi], ["tanc"])], ["tb"], axis=0)
tl = node("Gather", [lab, topi], ["tl"])
off = node("Unsqueeze", [node("Mul", [node("Cast", [tl], ["tlf"], to=TensorProto.FLOAT),
                                      node("Add", [node("ReduceMax", [tb], ["mx"], keepdims=0), init("onef", 1.0)], ["mx1"])], ["offs"]),
                         "ax1"], ["off"])
nb = node("Add", [tb, off], ["nb"])
sel = node("NonMaxSuppression", [node("Unsqueeze", [nb, "ax0"], ["nb3"]),
                                 node("Unsqueeze", [topv, init("ax01", [0, 1], np.int64)], ["sc3"]),
                                 init("maxout", [100], np.int64), init("iou", [0.5]), init("sthr", [0.0])], ["sel"])
keep = node("Gather", [sel, init("z2", 2, np.int64)], ["keep"], axis=1)
then_g = helper.make_graph([helper.make_node("Constant", [], ["empty"], value=numpy_helper.from_array(np.zeros(0, np.int64), "e"))],
                           "then", [], [helper.make_tensor_value_info("empty", TensorProto.INT64, [0])])
else_g = helper.make_graph([helper.make_node("Identity", [keep], ["kept"])], "else", [],
                           [helper.make_tensor_value_info("kept", TensorProto.INT64, ["M"])])
cond = node("Equal", [node("Size", [topv], ["ntop"]), init("zero", 0, np.int64)], ["none"])
keep2 = node("If", [cond], ["keep2"], then_branch=then_g, else_branch=else_g)
order = node("Range", [init("rg0", 0, np.int64), node("Size", [keep2], ["nkeep"]), init("rg1", 1, np.int64)], ["order"])
keep3 = node("Gather", [keep2, order], ["keep3"])
ob = node("Gather", [tb, keep3], ["ob"])
out_boxes = node("Where", [node("Less", [ob, init("zf", 0.0)], ["neg"]), "zf", ob], ["boxes_out"])
node("Gather", [topv, keep3], ["scores_out"])
node("Gather", [tl, keep3], ["labels_out"])

g = helper.make_graph(nodes, "nms_tail", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])],
                      [helper.make_tensor_value_info("boxes_out", TensorProto.FLOAT, ["M", 4]),
                       helper.make_tensor_value_info("scores_out", TensorProto.FLOAT, ["M"]),
                       helper.make_tensor_value_info("labels_out", TensorProto.INT64, ["M"])], inits)
m = helper.make_model(g, producer_name="pytorch", producer_version="1.13.1", opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.checker.check_model(m, full_check=True)
os.makedirs(OUT, exist_ok=True)
onnx.save(m, os.path.join(OUT, "nms_tail.onnx"))

# The meaning, in float64 numpy.
x = fixed_input((1, 3, 16, 16))
xp = np.pad(x[0], ((0, 0), (1, 1), (1, 1)))
c1 = np.zeros((8, 8, 8))
for o in range(8):
    for i in range(8):
        for j in range(8):
            c1[o, i, j] = np.sum(W1[o] * xp[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3]) + B1[o]
r1 = np.maximum(c1, 0).reshape(8, 64)
regv = (W2[:, :, 0, 0] @ r1 + B2[:, None]).T  # [64,4]
clsv = (W3[:, :, 0, 0] @ r1 + B3[:, None]).T  # [64,3]
e = np.exp(clsv - clsv.max(1, keepdims=True))
p = e / e.sum(1, keepdims=True)
ctr = regv[:, :2] * 0.1 * awh + acxy
whv = np.exp(np.minimum(regv[:, 2:] * 0.2, np.log(1000 / 16))) * awh
bx = np.concatenate([ctr - whv / 2, ctr + whv / 2], 1)
sc = p[:, 1:]
cand = [(sc[a, c], a, c + 1) for a in range(64) for c in range(2) if sc[a, c] > 0.05]  # NonZero's row-major order
order = sorted(range(len(cand)), key=lambda i: (-cand[i][0], i))[:20]
top = [cand[i] for i in order]
tbv = np.array([bx[a] for _, a, _ in top]).reshape(-1, 4)
mx = tbv.max() if len(top) else 0.0
nbv = tbv + np.array([l for _, _, l in top], dtype=np.float64)[:, None] * (mx + 1)


def iou(a, b):
    y1, x1, y2, x2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    if y2 <= y1 or x2 <= x1:
        return 0.0
    inter = (y2 - y1) * (x2 - x1)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


kept = []
for i in range(len(top)):
    if top[i][0] > 0.0 and all(iou(nbv[i], nbv[k]) <= 0.5 for k in kept):
        kept.append(i)
ob = np.maximum(tbv[kept], 0).reshape(-1, 4)
print("candidates", len(cand), "top", len(top), "kept", len(kept))
assert 3 <= len(kept) < len(top), "the test model should suppress some boxes and keep several"
np.asarray(fixed_input((1, 3, 16, 16)), "<f4").tofile(os.path.join(OUT, "nms_tail.in.bin"))
np.asarray(ob, "<f4").tofile(os.path.join(OUT, "nms_tail.out0.bin"))
np.asarray([top[i][0] for i in kept], "<f4").tofile(os.path.join(OUT, "nms_tail.out1.bin"))
np.asarray([top[i][2] for i in kept], "<f4").tofile(os.path.join(OUT, "nms_tail.out2.bin"))
