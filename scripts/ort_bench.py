#!/usr/bin/env python3
"""ort_bench.py: ONNX Runtime's time on one ONNX file, for scripts/scale.sh where
onnxruntime-node is absent but the onnxruntime Python package is there.

Same session settings as ../shared/peers/ort/bench.js (graph optimization 'all',
sequential execution, interOpNumThreads 1, intraOpNumThreads = --threads), so the
two harnesses time the same ORT configuration. Inputs are seeded uniform [0, 1)
float32 (uint8 for quantized inputs); a symbolic dimension is the batch (--batch)
when it is the first one, else 1; a model whose inputs fix batch 1 is given a symbolic
batch when --batch > 1 (needs the onnx package; see with_batch).

  python3 scripts/ort_bench.py --threads 4 --batch 8 --runs 100 --warmup 5 model.onnx
prints one line: ORT threads=4 batch=8 median_ms=... min_ms=... runs=...
"""
import argparse
import statistics
import sys
import time

try:
    import numpy as np
    import onnxruntime as ort
except ImportError as e:  # scale.sh checks for this before calling
    print(f"ort_bench.py: {e}", file=sys.stderr)
    sys.exit(3)


def with_batch(path, batch):
    """The model's bytes with a symbolic batch when its inputs fix batch 1 (as mnc export
    writes the built-ins) and batch > 1 is asked for: input/output dim 0 becomes N, and
    Reshape shapes leading with 1 lead with 0 (copy the input's batch). Else the path."""
    import onnx
    m = onnx.load(path)
    g = m.graph
    inits = {t.name for t in g.initializer}
    fixed = [i for i in g.input if i.name not in inits and i.type.tensor_type.shape.dim
             and i.type.tensor_type.shape.dim[0].HasField("dim_value")]
    if not fixed or all(i.type.tensor_type.shape.dim[0].dim_value == batch for i in fixed):
        return path
    if any(i.type.tensor_type.shape.dim[0].dim_value != 1 for i in fixed):
        sys.exit(f"ort_bench.py: {path}: a fixed batch other than 1 cannot become {batch}")
    for v in list(g.input) + list(g.output):
        d = v.type.tensor_type.shape.dim
        if d:
            d[0].Clear()
            d[0].dim_param = "N"
    del g.value_info[:]
    shapes = {n.input[1] for n in g.node if n.op_type == "Reshape" and len(n.input) > 1}
    for t in g.initializer:
        if t.name in shapes:
            a = onnx.numpy_helper.to_array(t).copy()
            if a.ndim == 1 and a.size and a[0] == 1:
                a[0] = 0
                t.CopyFrom(onnx.numpy_helper.from_array(a, t.name))
    for n in g.node:
        if n.op_type == "Constant" and n.output[0] in shapes:
            for at in n.attribute:
                if at.name == "value":
                    a = onnx.numpy_helper.to_array(at.t).copy()
                    if a.ndim == 1 and a.size and a[0] == 1:
                        a[0] = 0
                        at.t.CopyFrom(onnx.numpy_helper.from_array(a))
    return m.SerializeToString()


def feeds_for(sess, batch):
    rng = np.random.default_rng(1)
    feeds = {}
    for inp in sess.get_inputs():
        dims = []
        for i, d in enumerate(inp.shape):
            if isinstance(d, int) and d > 0:
                dims.append(d)
            else:
                dims.append(batch if i == 0 else 1)
        if dims and isinstance(inp.shape[0], int) and batch != 1 and inp.shape[0] != batch:
            sys.exit(f"ort_bench.py: input {inp.name} has a fixed batch {inp.shape[0]}, not {batch}")
        if "uint8" in inp.type:
            feeds[inp.name] = rng.integers(0, 256, size=dims, dtype=np.uint8)
        elif "int8" in inp.type:
            feeds[inp.name] = rng.integers(-128, 128, size=dims, dtype=np.int8)
        else:
            feeds[inp.name] = rng.random(dims, dtype=np.float32)
    return feeds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("model")
    a = ap.parse_args()
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    model = with_batch(a.model, a.batch) if a.batch != 1 else a.model
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    feeds = feeds_for(sess, a.batch)
    for _ in range(a.warmup):
        sess.run(None, feeds)
    ms = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        ms.append((time.perf_counter() - t0) * 1e3)
    print(f"ORT threads={a.threads} batch={a.batch} median_ms={statistics.median(ms):.4f} "
          f"min_ms={min(ms):.4f} runs={len(ms)}")


if __name__ == "__main__":
    main()
