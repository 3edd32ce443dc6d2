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

// A Model serves inputs of several shapes, compiling a plan for each new
// one on first use; Run returns every output by name.
func ExampleModel() {
	m, err := mnc.Open("mobilenet_v3_small:alpha=0.5,res=64,classes=10", mnc.ModelOptions{Threads: 1, MaxPlans: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	for _, hw := range [][2]int{{64, 64}, {96, 128}, {64, 64}} {
		out, err := m.Run(map[string]*ir.Tensor{"input": reference.FixedInput(1, 3, hw[0], hw[1])})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(hw, "→ logits", out["logits"].Shape)
	}
	st := m.Stats()
	fmt.Println("plans compiled:", st.Misses, "reused:", st.Hits)
	// Output:
	// [64 64] → logits [1×10]
	// [96 128] → logits [1×10]
	// [64 64] → logits [1×10]
	// plans compiled: 2 reused: 1
}
