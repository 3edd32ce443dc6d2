// usage: node ort_run.js MODEL.onnx INPUT.bin OUTPUT.bin
// Runs ONNX Runtime (onnxruntime-node, one thread) on a [1,3,224,224]
// float32 input and writes the first output as raw little-endian float32.
const fs = require('fs');
const ort = require('onnxruntime-node');
(async () => {
  const [model, input, output] = process.argv.slice(2);
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const b = fs.readFileSync(input);
  const x = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, 224, 224]) });
  const y = r[s.outputNames[0]].data;
  fs.writeFileSync(output, Buffer.from(y.buffer, y.byteOffset, y.length * 4));
})().catch(e => { console.error(e); process.exit(1); });
