package onnx

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/reference"
)

// ortScript runs an ONNX model in ONNX Runtime (onnxruntime-node) on a raw
// float32 input file and writes its first output as raw float32.
const ortScript = `
const ort = require('onnxruntime-node'); const fs = require('fs');
(async () => {
  const [model, inFile, shapeArg, outFile] = process.argv.slice(2);
  const s = await ort.InferenceSession.create(model, {intraOpNumThreads: 1});
  const b = fs.readFileSync(inFile);
  const x = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const r = await s.run({[s.inputNames[0]]: new ort.Tensor('float32', x, shapeArg.split(',').map(Number))});
  const y = r[s.outputNames[0]].data;
  fs.writeFileSync(outFile, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
})().catch(e => { console.error(e); process.exit(1); });
`

// ortModules is where ../shared/peers/ort/run.sh installs onnxruntime-node.
func ortModules() string {
	if p := os.Getenv("MNC_ORT_NODE_MODULES"); p != "" {
		return p
	}
	return filepath.Join(os.TempDir(), "mnc-peers", "ort", "node_modules")
}

// TestExportRunsInONNXRuntime: the built-in models written by Write run in
// ONNX Runtime and agree with mnc's reference executor within 1e-5 of the
// largest logit (different summation orders). Skips when node or
// onnxruntime-node is absent (see ../shared/peers/ort/run.sh) and with -short.
func TestExportRunsInONNXRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ONNX Runtime on full-size models; run without -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	mods := ortModules()
	if _, err := os.Stat(filepath.Join(mods, "onnxruntime-node")); err != nil {
		t.Skipf("onnxruntime-node is not installed in %s (run ../shared/peers/ort/run.sh or set MNC_ORT_NODE_MODULES)", mods)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "run.js")
	if err := os.WriteFile(script, []byte(ortScript), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"} {
		t.Run(name, func(t *testing.T) {
			g, err := models.Build(name)
			if err != nil {
				t.Fatal(err)
			}
			model := filepath.Join(dir, name+".onnx")
			f, err := os.Create(model)
			if err != nil {
				t.Fatal(err)
			}
			if err := Write(f, g); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			shape := g.Inputs[0].Shape
			x := reference.FixedInput(shape...)
			in, out := filepath.Join(dir, name+".in.bin"), filepath.Join(dir, name+".out.bin")
			writeFloats(t, in, x.Data)
			cmd := exec.Command(node, script, model, in, joinInts(shape), out)
			cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("onnxruntime: %v\n%s", err, msg)
			}
			want, err := reference.Run(g, map[string]*ir.Tensor{g.Inputs[0].Name: x}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ref := want[g.Outputs[0].Name]
			got := ir.FromData(readFloats(t, out), ref.Shape...)
			if ok, msg := reference.Close(got, ref, 1e-5); !ok {
				t.Errorf("ONNX Runtime on the exported model vs the reference: %s", msg)
			}
		})
	}
}
