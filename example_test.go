package mnc_test

import (
	"fmt"
	"log"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// The README's use of the API: load, compile, run; the compiled plan agrees
// with the reference executor.
func Example() {
	g, err := mnc.Load("mobilenet_v3_small")
	if err != nil {
		log.Fatal(err)
	}
	p, _, err := mnc.Compile(g, mnc.Options{Level: 2})
	if err != nil {
		log.Fatal(err)
	}
	e, err := mnc.NewExecutor(p, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	input := reference.FixedInput(1, 3, 224, 224)
	out := e.NewOutputs()
	if err := e.Run([]*ir.Tensor{input}, out); err != nil {
		log.Fatal(err)
	}
	want, err := reference.Run(g, map[string]*ir.Tensor{"input": input}, nil)
	if err != nil {
		log.Fatal(err)
	}
	ok, _ := reference.Close(out[0], want["logits"], 1e-4)
	fmt.Println(p.Outputs[0].Name, out[0].Shape, "matches the reference:", ok)
	// Output: logits [1×1000] matches the reference: true
}
