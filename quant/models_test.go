package quant

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/internal/shareddata"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/reference"
)

// TestQuantizeMobileNets: the built-in V2, V3-Small and V4-Conv-Small quantized on two
// built-in inputs compile and run at -O2 on every ISA within one output
// quantization step of the reference executor's integer pipeline
// (ToQOperator: measured bit-identical), also on an input that was not in
// the calibration set; ONNX Runtime, when installed, agrees on the QDQ and
// the QOperator file (same top-1 on the shared input; measured
// bit-identical).
func TestQuantizeMobileNets(t *testing.T) {
	names := []string{"mobilenet_v3_small", "mobilenet_v2", "mobilenet_v4_conv_small"}
	if testing.Short() {
		names = []string{"mobilenet_v3_small:res=96"}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			g, err := models.BuildSpec(name, models.BuildOptions{})
			if err != nil {
				t.Fatal(err)
			}
			xs := BuiltinInputs(3, g.Inputs[0].Shape)
			q, st, err := Quantize(g, xs[:2], Options{})
			if err != nil {
				t.Fatal(err)
			}
			acc, err := Evaluate(q, xs[:2], st.FloatOutputs, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("quantized %v, float %v; %v", st.Quantized, st.Float, acc)
			isas := kernels.Available()
			checkAgainstReference(t, q, xs[:1], isas)
			checkAgainstReference(t, q, xs[2:], isas[len(isas)-1:])
			if !testing.Short() {
				x := reference.FixedInput(g.Inputs[0].Shape...)
				checkORT(t, q, x)
				qo, err := ToQOperator(q) // -format qop
				if err != nil {
					t.Fatal(err)
				}
				checkORT(t, qo, x)
			}
		})
	}
}

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

// checkORT writes q as ONNX, runs it in ONNX Runtime on x and compares with
// mnc's -O2 plan: same top-1 (skipped without node and onnxruntime-node,
// ../shared/peers/ort/run.sh installs it; MNC_ORT_NODE_MODULES overrides
// where).
func checkORT(t *testing.T, q *ir.Graph, x *ir.Tensor) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Log("node is not installed: ONNX Runtime comparison skipped")
		return
	}
	mods := os.Getenv("MNC_ORT_NODE_MODULES")
	if mods == "" {
		mods = filepath.Join(os.TempDir(), "mnc-peers", "ort", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(mods, "onnxruntime-node")); err != nil {
		t.Logf("onnxruntime-node is not in %s: ONNX Runtime comparison skipped", mods)
		return
	}
	dir := t.TempDir()
	model, in, out, script := filepath.Join(dir, "q.onnx"), filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin"), filepath.Join(dir, "run.js")
	f, err := os.Create(model)
	if err != nil {
		t.Fatal(err)
	}
	if err := onnx.Write(f, q); err != nil {
		t.Fatal(err)
	}
	f.Close()
	writeRaw(t, in, x.Data)
	os.WriteFile(script, []byte(ortScript), 0o644)
	var dims []string
	for _, d := range x.Shape {
		dims = append(dims, strconv.Itoa(d))
	}
	cmd := exec.Command(node, script, model, in, strings.Join(dims, ","), out)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime: %v\n%s", err, msg)
	}
	ort := shareddata.ReadRawFile(t, out)
	got := runPlan(t, q, kernels.Best(), 2, x)
	var d float64
	for i := range ort {
		d = max(d, float64(abs32(got.Data[i]-ort[i])))
	}
	step := float64(outputStep(t, q))
	if argmax(got.Data) != argmax(ort) {
		t.Errorf("top-1: mnc %d, ONNX Runtime %d (max|diff| %.3g = %.1f output steps)", argmax(got.Data), argmax(ort), d, d/step)
	}
	t.Logf("ONNX Runtime vs mnc -O2: max|diff| %.3g = %.1f output steps", d, d/step)
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func writeRaw(t *testing.T, path string, data []float32) {
	t.Helper()
	b := make([]byte, 4*len(data))
	for i, v := range data {
		u := math.Float32bits(v)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
