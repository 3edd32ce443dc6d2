// Package frontend builds mnc graphs (ir.Graph) of MobileNet-family
// networks, from Go or from a model description file.
//
// # Go builder
//
// A Builder appends layers in torchvision's vocabulary and naming:
// ConvBNAct ("features.0.0" conv without bias, ".1" BatchNormalization, ".2"
// activation), DepthwiseSeparable (V1: ".dw" and ".pw" ConvBNActs),
// InvertedResidual (V2 "conv.j" / V3 "block.j" layouts, optional SE, residual
// Add when the stride is 1 and the widths match), SqueezeExcite (GAP → 1×1
// conv+bias → ReLU → 1×1 conv+bias → HardSigmoid(1/6, 0.5) → Mul), Pool and
// Classifier. BatchNorm is left unfolded (folding is a compiler pass); ReLU6
// is Clip(0, 6); padding is (k-1)/2 on every side. Every method infers its
// output shape at once; the first error sticks and Finish returns it.
//
//	b := frontend.NewBuilder("tiny", frontend.Options{Seed: 1})
//	x := b.Input("input", 3, 64, 64)
//	x = b.ConvBNAct("features.0", x, 16, 3, 2, 1, frontend.ReLU6)
//	x = b.DepthwiseSeparable("features.1", x, 32, 3, 1, frontend.ReLU6)
//	x = b.Pool(x)
//	x = b.Classifier(x, []frontend.HeadLayer{{Out: 10}})
//	g, err := b.Finish(x, "logits")
//
// # Description files (.mnc)
//
// A description file reads like the papers' architecture tables: a few
// header lines, then one row per layer or block, top to bottom. '#' starts a
// comment; blank lines are ignored; fields are name=value in any order.
//
// Headers (before the first row; "model" first):
//
//	model NAME       graph name; also seeds the weights (required)
//	input CxHxW      input size, batch 1, e.g. 3x224x224 (required)
//	classes N        classifier outputs (default 1000)
//	width A          width multiplier α (default 1.0)
//	round 8|floor    width rounding: make_divisible(c·α, 8) as torchvision
//	                 (default), or floor for int(c·α) as the V1 paper
//	bn_eps E         BatchNorm epsilon (default 1e-5; V3 uses 0.001)
//	nl ACT           default nonlinearity of body rows (default RE6)
//	seed N           weight seed (default: a hash of the model name)
//
// Nonlinearities: RE (ReLU), RE6 (ReLU6), HS (h-swish), HSIG (h-sigmoid),
// none. Body rows (each becomes features.i, counting from 0):
//
//	conv  k=3 out=32 s=2 [groups=1] [nl=]      conv → BN → nl (the stem, V2/V3's last 1×1)
//	dwsep out=64 [k=3] [s=1] [n=1] [nl=]       V1 layer: dw k×k → BN → nl → 1×1 → BN → nl
//	ir    t=6 c=24 [n=1] [s=1] [k=3] [se=0] [nl=]  V2 bottleneck, hidden = round(in·t);
//	                                           n repeats, the first with stride s
//	bneck k=5 exp=72 out=40 se=1 nl=RE s=2     V3 bneck: exp hidden channels, SE squeeze
//	                                           make_divisible(exp/4, 8)
//	uib   start=5 mid=5 e=3 out=96 [s=1] [n=1] [nl=]
//	                                           V4 Universal Inverted Bottleneck: start
//	                                           dw (linear) → 1×1 to make_divisible(in·e, 8)
//	                                           → nl → mid dw → nl → 1×1 linear; start=0
//	                                           or mid=0 leaves that dw out (IB: start=0,
//	                                           ConvNeXt-like: mid=0, FFN: both); the
//	                                           stride goes to mid, else to start
//	fused k=3 e=4 out=48 [s=1] [n=1] [nl=]     V4 FusedIB: dense k×k to make_divisible(in·e, 8)
//	                                           → nl → 1×1 linear
//
// Head rows: pool (global average pool and flatten), conv k=1 out=N [nl=]
// right after it (a 1×1 conv → BN → nl on the pooled map, before the
// flatten: MobileNetV4's conv_head; named head.0, head.1, ...), dropout [p=0.2] (takes
// torchvision's classifier index; inference makes it the identity, so no
// node), fc out=N [nl=] (a Gemm; the last fc may omit out: it is the classes;
// head fcs are linear unless nl= says), softmax (last; output "probs"
// instead of "logits").
//
// Detector rows (SSD-style networks with several outputs):
//
//	stage NAME                              the rows after it are named NAME.0,
//	                                        NAME.1, ... (torchvision's nested
//	                                        Sequentials; the default is features)
//	ROW ... tap=C4                          any body row: its output is a feature map
//	bneck ... flat=1                        a bneck without expansion conv whose
//	                                        layers are NAME.i.j, not NAME.i.block.j
//	extra out=512 [k=3] [s=2] [nl=]         SSDLite extra block: 1×1 to out/2 →
//	                                        dw k×k stride s → 1×1 to out, BN + nl
//	                                        after each; out is max(16, int(out·α))
//	ssdhead name=N [out=classes] [anchors=6] [k=3] [nl=] [maps=A,B] [output=N]
//	                                        SSDLite head on the maps (default: every
//	                                        tap, in order): dw k×k → BN → nl, 1×1
//	                                        with bias to anchors·out, as
//	                                        [1, H·W·anchors, out] per map,
//	                                        concatenated; named STAGE.N.module_list.i
//
// anchors is one count for every map or one per map (anchors=4,6,6,6,4,4).
// A description with ssdhead rows has their outputs (output=, default the
// name), in order, instead of a classifier's; only ssdhead rows may follow
// the first. models/ssdlite320_mobilenet_v3_large.mnc is torchvision's
// SSDLite320 written so.
//
// Channel fields (out, c, exp) are scaled by the width multiplier with the
// header's rounding; scale=grow scales by max(1, α) (V2's last conv) and
// scale=none not at all. "out=6x" means 6 times the row's input channels,
// unscaled (V3's last conv). Residual adds appear by themselves where the
// stride is 1 and the widths match.
//
// Example, MobileNet V3-Small (models/mobilenet_v3_small.mnc in full):
//
//	model mobilenet_v3_small
//	input 3x224x224
//	classes 1000
//	width 1.0
//	bn_eps 0.001
//
//	conv  k=3 out=16 s=2 nl=HS
//	bneck k=3 exp=16  out=16 se=1 nl=RE s=2
//	bneck k=3 exp=72  out=24 se=0 nl=RE s=2
//	bneck k=3 exp=88  out=24 se=0 nl=RE s=1
//	bneck k=5 exp=96  out=40 se=1 nl=HS s=2
//	...
//	bneck k=5 exp=576 out=96 se=1 nl=HS s=1
//	conv  k=1 out=6x nl=HS
//	pool
//	fc    out=1024 nl=HS
//	dropout p=0.2
//	fc
//
// Errors carry file:line and the field, e.g.
//
//	v3.mnc:12: field "exp": want a positive integer, got "x"
//
// ParseFile and Parse build the graph with deterministic random weights
// whose BatchNorm statistics are mean 0, variance 1; models.LoadFile also
// calibrates them.
package frontend
