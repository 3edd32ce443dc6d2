package onnx

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/internal/shareddata"

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

// ortRunner runs graphs exported by Write in ONNX Runtime.
type ortRunner struct{ node, mods, script, dir string }

// newORT skips the test when node or onnxruntime-node is absent (see
// ../shared/peers/ort/run.sh).
func newORT(t *testing.T) *ortRunner {
	t.Helper()
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
	return &ortRunner{node: node, mods: mods, script: script, dir: dir}
}

// run exports g, runs it in ONNX Runtime on x and returns the first output.
func (o *ortRunner) run(t *testing.T, g *ir.Graph, x *ir.Tensor) *ir.Tensor {
	t.Helper()
	base := filepath.Join(o.dir, strings.ReplaceAll(t.Name(), "/", "_"))
	f, err := os.Create(base + ".onnx")
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, g); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	writeFloats(t, base+".in.bin", x.Data)
	cmd := exec.Command(o.node, o.script, base+".onnx", base+".in.bin", joinInts(x.Shape), base+".out.bin")
	cmd.Env = append(os.Environ(), "NODE_PATH="+o.mods)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime: %v\n%s", err, msg)
	}
	return ir.FromData(shareddata.ReadRawFile(t, base+".out.bin"), g.Outputs[0].Shape...)
}

// expectORT compares ONNX Runtime on the exported g with the reference
// executor on g, within rel of the largest output value.
func expectORT(t *testing.T, o *ortRunner, g *ir.Graph, rel float64) {
	t.Helper()
	x := reference.FixedInput(g.Inputs[0].Shape...)
	want, err := reference.Run(g, map[string]*ir.Tensor{g.Inputs[0].Name: x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, msg := reference.Close(o.run(t, g, x), want[g.Outputs[0].Name], rel); !ok {
		t.Errorf("ONNX Runtime on the exported graph vs the reference: %s", msg)
	}
}

// TestExportRunsInONNXRuntime: the built-in models and graphs with fused
// epilogues, written by Write, run in ONNX Runtime and agree with mnc's
// reference executor within 1e-5 of the largest output (summation orders
// differ). Skipped with -short.
func TestExportRunsInONNXRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ONNX Runtime on full-size models; run without -short")
	}
	o := newORT(t)
	for _, name := range []string{"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "mobilenet_v4_conv_small", "mobilenet_v4_conv_medium"} {
		t.Run(name, func(t *testing.T) {
			g, err := models.Build(name)
			if err != nil {
				t.Fatal(err)
			}
			expectORT(t, o, g, 1e-5)
		})
	}
	for _, ep := range fusedEpilogues {
		t.Run("fused_"+ep.Act.String(), func(t *testing.T) { expectORT(t, o, fusedGraph(t, ep), 1e-5) })
	}
}
