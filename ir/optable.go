package ir

import "fmt"

// OpInfo is everything the IR knows about one operator. Each operator has one
// entry, registered by the file that defines it (RegisterOp in an init
// function: the core ops in ir/ops_core.go); passes, the reference executor,
// the runtime and the ONNX frontend read facts from here instead of keeping
// their own switch over ops.
type OpInfo struct {
	// Name is the ONNX operator name, also the IR's text form and OpByName's key.
	Name string
	// MinInputs is how many leading inputs must be present (at least 1);
	// InferNode checks it before calling Infer.
	MinInputs int
	// Attrs names the Attrs fields the operator reads (documentation; the
	// ONNX exporter writes an ActFn activation's Alpha and Beta as the
	// attributes alpha and beta when they are listed here).
	Attrs string
	// Infer computes the output shape from the input shapes (-1 is an
	// unknown dimension). It may assume n has one output and MinInputs
	// inputs; errors are *ShapeError (use fail).
	Infer func(n *Node) (Shape, error)
	// Act is the epilogue activation the operator becomes when fused into
	// a producer's epilogue (ActNone: the operator is not an elementwise
	// activation). Its parameters come from the Attrs fields of the same
	// names (Min, Max, Alpha, Beta); see ActEpilogue.
	Act Act
	// ActFn defines an activation added after ActRequant (whose number
	// follows it in ir/op.go): y = ActFn(x, alpha, beta) with alpha and
	// beta the node's Attrs.Alpha and Attrs.Beta (carried in the
	// epilogue's fields of the same names). ApplyAct, and so the
	// reference, the runtime's generic steps and every kernel's Go
	// epilogue, calls it (NaN never reaches it: ApplyAct returns NaN
	// first). The activations before it are ApplyAct's own cases.
	ActFn func(x, alpha, beta float32) float32
	// Eval names where the reference executor evaluates the operator
	// (documentation; package reference keeps the functions, since ir
	// cannot import it).
	Eval string
}

var opTable [numOps]OpInfo

// RegisterOp adds op's entry to the operator table. It panics when op is
// already registered or its name is taken: both are programming errors
// found when the package initialises.
func RegisterOp(op Op, info OpInfo) {
	if op == OpInvalid || info.Name == "" || info.Infer == nil {
		panic(fmt.Sprintf("ir.RegisterOp(%d, %q): an op needs a number, a name and Infer", op, info.Name))
	}
	if opTable[op].Name != "" {
		panic(fmt.Sprintf("ir.RegisterOp: op %d registered twice (%s, %s)", op, opTable[op].Name, info.Name))
	}
	if o, ok := OpByName(info.Name); ok {
		panic(fmt.Sprintf("ir.RegisterOp: name %q taken by op %d", info.Name, o))
	}
	if info.MinInputs < 1 {
		info.MinInputs = 1
	}
	if info.Act != ActNone {
		if info.Act >= maxActs {
			panic(fmt.Sprintf("ir.RegisterOp: activation number %d of %s is not below %d", info.Act, info.Name, maxActs))
		}
		if actOps[info.Act] != OpInvalid {
			panic(fmt.Sprintf("ir.RegisterOp: activation %s registered by both %s and %s", info.Act, actOps[info.Act], info.Name))
		}
		actOps[info.Act] = op
		if info.Act > ActRequant {
			if info.ActFn == nil {
				panic(fmt.Sprintf("ir.RegisterOp: activation %s of %s has no ActFn", info.Act, info.Name))
			}
			actFns[info.Act] = info.ActFn
		}
	}
	opTable[op] = info
}

// Info returns op's table entry, or nil for an unregistered number.
func (o Op) Info() *OpInfo {
	if opTable[o].Name == "" {
		return nil
	}
	return &opTable[o]
}

// Ops returns every registered operator in numeric order.
func Ops() []Op {
	var ops []Op
	for i := range opTable {
		if opTable[i].Name != "" {
			ops = append(ops, Op(i))
		}
	}
	return ops
}

func (o Op) String() string {
	if o == OpInvalid {
		return "Invalid"
	}
	if info := o.Info(); info != nil {
		return info.Name
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// OpByName returns the operator with the given (ONNX) name.
func OpByName(name string) (Op, bool) {
	for i := range opTable {
		if opTable[i].Name == name && name != "" {
			return Op(i), true
		}
	}
	return OpInvalid, false
}

// IsElementwiseActivation reports whether o maps each element on its own,
// with no other input (and so commutes with layout changes and runs as an
// Activate step). PRelu, an activation with a slope input, is not one;
// IsActivation covers both.
func (o Op) IsElementwiseActivation() bool {
	return opTable[o].Act != ActNone && opTable[o].MinInputs == 1
}

// IsActivation reports whether o is an activation a producer's epilogue can
// compute (see ActEpilogue for when it does).
func (o Op) IsActivation() bool { return opTable[o].Act != ActNone }

// actOps maps each epilogue activation back to its operator.
var actOps [maxActs]Op

// actFns holds the definitions of the activations registered with an
// ActFn (see OpInfo.ActFn).
var actFns [maxActs]func(x, alpha, beta float32) float32

// ActOp returns the operator that computes activation a on its own (for
// exporters and the unfused form), or OpInvalid for ActNone.
func ActOp(a Act) Op {
	if int(a) >= len(actOps) {
		return OpInvalid
	}
	return actOps[a]
}

// ActEpilogue returns the epilogue that computes activation node n, with
// its parameters taken from n's attributes (PRelu's per-channel slope from
// its constant input); ok is false when n is not an activation or is one no
// epilogue can compute (a PRelu slope that is not constant per channel).
// This is the one Op→epilogue mapping: the fusion pass, the runtime's
// unfused activation steps, the reference executor and the ONNX exporter
// all use it.
func ActEpilogue(n *Node) (ep Epilogue, ok bool) {
	act := opTable[n.Op].Act
	if act == ActNone {
		return Epilogue{}, false
	}
	ep = ActParams(act, &n.Attrs)
	if act == ActPRelu {
		if ep.Slope, ok = channelSlope(n); !ok {
			return Epilogue{}, false
		}
	}
	return ep, true
}

// ActParams returns the epilogue of activation act with its parameters
// (those the activation reads) taken from a.
func ActParams(act Act, a *Attrs) Epilogue {
	ep := Epilogue{Act: act}
	switch act {
	case ActClip:
		ep.Min, ep.Max = a.Min, a.Max
	case ActHardSigmoid:
		ep.Alpha, ep.Beta = a.Alpha, a.Beta
	case ActLeakyRelu:
		ep.Alpha = a.Alpha
	default:
		if act > ActRequant { // OpInfo.ActFn's parameters
			ep.Alpha, ep.Beta = a.Alpha, a.Beta
		}
	}
	return ep
}

// ActAttrs is ActParams' inverse: the attributes of the standalone
// activation operator computing ep's activation.
func ActAttrs(ep Epilogue) Attrs {
	return Attrs{Min: ep.Min, Max: ep.Max, Alpha: ep.Alpha, Beta: ep.Beta}
}

// fail returns a *ShapeError naming n.
func fail(n *Node, format string, args ...any) (Shape, error) {
	return nil, &ShapeError{Node: n.Name, Op: n.Op, Msg: fmt.Sprintf(format, args...)}
}
