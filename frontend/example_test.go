package frontend_test

import (
	"fmt"
	"strings"

	"github.com/mnc-go/mnc/frontend"
)

func ExampleParse() {
	desc := `model tiny
input 3x32x32
classes 10
conv  k=3 out=16 s=2          # features.0
dwsep out=32 s=2              # features.1
pool
fc
`
	g, err := frontend.Parse("tiny.mnc", strings.NewReader(desc))
	if err != nil {
		panic(err)
	}
	for _, n := range g.Nodes {
		fmt.Println(n.Name, n.Op, n.Output().Shape)
	}
	_, err = frontend.Parse("bad.mnc", strings.NewReader(strings.Replace(desc, "out=32", "out=x", 1)))
	fmt.Println(err)
	// Output:
	// features.0.0 Conv [1×16×16×16]
	// features.0.1 BatchNormalization [1×16×16×16]
	// features.0.2 Clip [1×16×16×16]
	// features.1.dw.0 Conv [1×16×8×8]
	// features.1.dw.1 BatchNormalization [1×16×8×8]
	// features.1.dw.2 Clip [1×16×8×8]
	// features.1.pw.0 Conv [1×32×8×8]
	// features.1.pw.1 BatchNormalization [1×32×8×8]
	// features.1.pw.2 Clip [1×32×8×8]
	// avgpool GlobalAveragePool [1×32×1×1]
	// flatten Flatten [1×32]
	// classifier Gemm [1×10]
	// bad.mnc:5: field "out": want a positive integer, got "x"
}
