package onnx

import "github.com/mnc-go/mnc/ir"

// opTable maps each supported ONNX operator to its importer. Ops marked
// "folded" exist only as import-time constant arithmetic.
var opTable = map[string]opDef{
	"Conv":               {convertConv},
	"BatchNormalization": {convertBatchNorm},
	"Relu":               {convertUnary(ir.OpRelu)},
	"Clip":               {convertClip},
	"Min":                {convertMinMax},
	"Max":                {convertMinMax},
	"HardSwish":          {convertUnary(ir.OpHardSwish)},
	"HardSigmoid":        {convertUnary(ir.OpHardSigmoid)},
	"Sigmoid":            {convertUnary(ir.OpSigmoid)},
	"LeakyRelu":          {convertUnary(ir.OpLeakyRelu)},
	"PRelu":              {convertPRelu},
	"Add":                {convertArith(ir.OpAdd)},
	"Sub":                {convertArith(ir.OpSub)},
	"Mul":                {convertArith(ir.OpMul)},
	"Div":                {convertArith(ir.OpDiv)},
	"GlobalAveragePool":  {convertUnary(ir.OpGlobalAveragePool)},
	"AveragePool":        {convertPool(ir.OpAveragePool)},
	"MaxPool":            {convertPool(ir.OpMaxPool)},
	"ReduceMean":         {convertReduceMean},
	"Flatten":            {convertFlatten},
	"Reshape":            {convertReshape},
	"Squeeze":            {convertSqueeze},
	"Unsqueeze":          {convertUnsqueeze},
	"Gemm":               {convertGemm},
	"MatMul":             {convertMatMul},
	"Softmax":            {convertSoftmax},
	"Concat":             {convertConcat},
	"Pad":                {convertPad},
	"Transpose":          {convertTranspose},
	"Constant":           {convertConstant},
	"Identity":           {convertIdentity},
	"Dropout":            {convertDropout},
	"Cast":               {convertCast},
	"Shape":              {convertShape},           // folded
	"Gather":             {convertGather},          // folded
	"Slice":              {convertSlice},           // folded
	"ConstantOfShape":    {convertConstantOfShape}, // folded
	"Range":              {convertRange},           // folded
	"Size":               {convertSize},            // folded
	"Ceil":               {convertFoldMap},         // folded
	"Floor":              {convertFoldMap},         // folded
	"Round":              {convertFoldMap},         // folded
	"Sqrt":               {convertFoldMap},         // folded
	"Neg":                {convertFoldMap},         // folded
	"Abs":                {convertFoldMap},         // folded
	"Not":                {convertFoldMap},         // folded
	"Equal":              {convertFoldMap},         // folded
	"Less":               {convertFoldMap},         // folded
	"Greater":            {convertFoldMap},         // folded
	"And":                {convertFoldMap},         // folded
	"Or":                 {convertFoldMap},         // folded
	"Pow":                {convertFoldMap},         // folded
	"Mod":                {convertMod},             // folded
	"Where":              {convertWhere},           // folded
	"Expand":             {convertExpand},          // folded (or the identity)
	"Tile":               {convertTile},            // folded
	"Resize":             {convertResize},
	"Upsample":           {convertResize},
	"ConvTranspose":      {convertConvTranspose},
	"ArgMax":             {convertArgMax},
	"Split":              {convertSplit},
}
