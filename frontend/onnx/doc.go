// Package onnx imports ONNX models into mnc's IR and exports IR graphs back
// to ONNX.
//
// # Import
//
// Load(path) and Read(name, data, dir) accept models of default-domain
// opsets 7 to 21 and honour the operator changes between versions: Clip
// bounds are attributes before 11 and inputs from 11; Squeeze/Unsqueeze
// axes are attributes before 13 and inputs from 13; ReduceMean axes before
// and from 18; Pad pads before and from 11 (axes from 18); Softmax before
// 13 flattens to 2-D at axis (default 1) — imported as Flatten → Softmax →
// Reshape — and from 13 works along one axis (default -1); Dropout's ratio
// and training_mode inputs from 12; BatchNormalization's spatial (<9) and
// training_mode (≥14) attributes, only the inference form being accepted.
//
// Operators (ops.go): Conv, BatchNormalization, Relu, Clip, Min/Max (with a
// one-value constant: ReLU/ReLU6 spellings), HardSwish, HardSigmoid,
// Sigmoid, Add, Sub, Mul, Div, GlobalAveragePool, AveragePool, MaxPool,
// ReduceMean, Flatten, Reshape, Squeeze, Unsqueeze, Gemm, MatMul, Softmax,
// Concat, Pad, Transpose, Constant, Identity, Dropout, Cast; and, folded at
// import only, Shape, Size, Gather, Slice, ConstantOfShape, Range, and
// (ops_fold.go) Ceil, Floor, Round, Sqrt, Neg, Abs, Pow, Mod, Min/Max of
// constants, Equal, Less, Greater, Not, And, Or, Where, Expand and Tile
// (booleans are 0/1 integers). A fold-only op applied to a runtime tensor
// (a data-dependent value) is an error naming the node.
//
// Weights come from initializers (raw_data or typed fields, float, double
// and integer types, external data files relative to dir) and Constant
// nodes. Every node whose inputs are all known at import time and whose
// operator has a folder is evaluated by an internal integer/float constant
// folder (fold.go), so the shape arithmetic exporters emit (Shape → Gather
// → Unsqueeze → Concat → Reshape, TensorFlow's "same" pads) never reaches
// the IR. Because that folding depends on the input shapes, a model can be
// imported at given shapes: Open (or Parse) reads it once, Model.Import
// imports it with input shapes overriding the declared ones (symbolic or
// fixed), and the graph's Rebuild imports it again at others (initializers
// and Constant-node tensors are decoded once per Model). A batch dimension
// (dimension 0) given as dim_param, 0 or -1 and not given becomes -1 (bind
// it later with ir.Graph.SetBatch); Shape of such a dimension yields a
// symbolic element that a Reshape target turns into 0 (copy) or -1
// (infer), never a baked batch size. Any other unknown dimension makes
// Import fail with an *ir.UnboundError naming the input, its dim_params and
// the -shape flag; Model.Lazy returns a graph of the inputs alone instead,
// for mnc.Specialize. ONNX input and output names are kept as IR value names; IR
// nodes are named after their first ONNX output.
//
// Conv weights and BatchNormalization parameters must be constants (mnc
// compiles weights ahead of time). Scalar (0-d) constants of Add/Sub/Mul/
// Div beside a tensor become shape [1]; Reshape(x, [0, -1]) on a symbolic
// batch keeps the 0 and resolves the -1.
//
// The importer only translates: the graph keeps the exporter's spelling
// (h-swish as Add/Clip/Div/Mul, tf2onnx's Transposes around every Conv, an
// unfolded BatchNorm as Mul/Add). The compiler's canonicalisation passes
// (passes.Canonicalize; canon-activations, sink-transposes, merge-reshapes
// in the pipeline table) rewrite it into mnc's form; -O0 leaves it as
// written.
//
// A graph that ends in post-processing with run-time shapes (NonZero,
// TopK with a computed k, NonMaxSuppression, If, Loop, Range, ...) can be
// cut with Model.Split or SplitImport (split.go): the prefix imports as
// above, the Tail keeps its ONNX nodes for package dyn's interpreter.
//
// Errors name the file and the node (name and op type) or tensor at fault
// (a *NodeError for a node that fails to convert).
// All unsupported operators are listed in one error. Input is validated
// (sizes, ranks, attribute types, bounds) rather than trusted; a recover in
// Read is only the last line of defence.
//
// # Export
//
// Write(w, g) writes opset 17: Clip with min/max inputs, HardSwish,
// HardSigmoid, Conv, BatchNormalization, Gemm and the other IR operators;
// Swish as Sigmoid·x. Fused Conv/Gemm epilogues are expanded into separate
// nodes (residual Add, then the activation).
package onnx
