#!/usr/bin/env node
// Cross-checks make.py's models against ONNX Runtime: runs every model of
// the manifest on its <name>.in.bin and compares with <name>.out.bin (the
// numpy reference). A disagreement means make.py spelled a model wrong, or
// its numpy reference is wrong; either way the test data must not be
// committed. Also the only check of the opset-18 model, which Debian's
// onnx 1.12 checker does not know.
//
//   NODE_PATH=/tmp/mnc-peers/ort/node_modules node scripts/exporters/check_ort.js [DIR]
//
// (onnxruntime-node as installed by ../shared/peers/ort/run.sh.)
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const dir = process.argv[2] || path.join(__dirname, '..', '..', 'frontend', 'onnx', 'testdata', 'exporters');
const REL = 1e-5; // max|diff| <= REL * max|ref|: float32 ORT against float64 numpy

function readF32(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

async function main() {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  let bad = 0;
  for (const [name, m] of Object.entries(manifest)) {
    const s = await ort.InferenceSession.create(path.join(dir, name + '.onnx'),
      { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
    const x = new ort.Tensor('float32', readF32(path.join(dir, name + '.in.bin')), m.shape);
    const res = await s.run({ [m.input]: x });
    const outs = [{ name: m.output, shape: m.out_shape, file: '.out.bin' }].concat(
      (m.extra_outputs || []).map((o, i) => ({ name: o.name, shape: o.shape, file: `.out${i + 1}.bin` })));
    for (const o of outs) {
      const out = res[o.name];
      const want = readF32(path.join(dir, name + o.file));
      let diff = 0, ref = 0;
      for (let i = 0; i < want.length; i++) {
        diff = Math.max(diff, Math.abs(out.data[i] - want[i]));
        ref = Math.max(ref, Math.abs(want[i]));
      }
      const ok = out.data.length === want.length && JSON.stringify(out.dims) === JSON.stringify(o.shape) &&
        diff <= REL * ref;
      if (!ok) bad++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${(name + (o.file === '.out.bin' ? '' : ':' + o.name)).padEnd(24)} dims ${JSON.stringify(out.dims)} max|diff| ${diff.toExponential(2)} max|ref| ${ref.toExponential(2)}`);
    }
  }
  if (bad) {
    console.error(`${bad} model(s) disagree with ONNX Runtime`);
    process.exit(1);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
