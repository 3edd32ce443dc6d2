#!/usr/bin/env node
// ONNX Runtime latency of one model at a fixed input shape (symbolic dims
// bound), the way ../../../shared/peers/ort/bench.js times the generated
// models: graphOptimizationLevel 'all', sequential, interOpNumThreads 1,
// warm-up runs, then wall-clock session.run() times; prints
//   RESULT engine=ort threads=T median_ms=… min_ms=…
// Usage: NODE_PATH=…/node_modules node ort_shape.js MODEL N,C,H,W THREADS SECONDS
'use strict';
const ort = require('onnxruntime-node');
async function main() {
  const [model, dims, threads, secs] = process.argv.slice(2);
  const shape = dims.split(',').map(Number);
  const s = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all', executionMode: 'sequential', interOpNumThreads: 1, intraOpNumThreads: Number(threads),
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = ((Math.imul(i, 0x9e3779b1) >>> 24) - 128) / 128;
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', x, shape) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const times = [];
  const end = Date.now() + 1000 * Number(secs);
  while (times.length < 10 || Date.now() < end) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(`RESULT engine=ort threads=${threads} median_ms=${times[times.length >> 1].toFixed(3)} min_ms=${times[0].toFixed(3)} runs=${times.length}`);
}
main().catch((e) => { console.error(e.message); process.exit(1); });
