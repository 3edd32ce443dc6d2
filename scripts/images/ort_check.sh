#!/bin/sh
# mnc run -image against ONNX Runtime fed by PIL's preprocessing, on the
# shared ONNX classifiers and three pictures made by make_images.py.
# Needs Debian's python3-pil and python3-numpy, node and onnxruntime-node
# (npm install --ignore-scripts onnxruntime-node: its Linux x64 library is in
# the package; the install script only fetches GPU providers). Set ORT_NODE
# to the folder holding node_modules (default: this script's folder).
# Prints, per model and picture, both top-1 classes and the largest logit
# difference relative to the largest logit.
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
models=${MODELS:-$root/../shared/models}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/mnc" ./cmd/mnc)
/usr/bin/python3 "$here/make_images.py" "$tmp" >/dev/null
export NODE_PATH=${ORT_NODE:-$here}/node_modules
for m in mobilenet_v1 mobilenet_v2 mobilenet_v3_large mobilenet_v3_small; do
  for pic in discs.png stripes.jpg shapes.webp; do
    name=${pic%.*}
    node "$here/ort_run.js" "$models/$m.onnx" "$tmp/$name.tv.bin" "$tmp/ort.bin"
    "$tmp/mnc" run -threads 1 -image "$tmp/$pic" -output "$tmp/mnc.bin" "$models/$m.onnx" >/dev/null
    /usr/bin/python3 - "$m" "$pic" "$tmp/ort.bin" "$tmp/mnc.bin" <<'PY'
import sys, numpy as np
m, pic, a, b = sys.argv[1:]
o, n = np.fromfile(a, "<f4"), np.fromfile(b, "<f4")
print("%-20s %-12s top-1 ORT %4d mnc %4d  max|diff|/max|logit| %.1e" % (m, pic, o.argmax(), n.argmax(), np.abs(o - n).max() / np.abs(o).max()))
PY
  done
done
