package analysis_test

import (
	"fmt"

	"github.com/mnc-go/mnc/analysis"
	"github.com/mnc-go/mnc/models"
)

// The paper's Table 7 lists 0.50 MobileNet-160 at 76 M MACs and 1.32 M parameters.
func ExampleAnalyze() {
	g, err := models.BuildSpec("mobilenet_v1:alpha=0.5,res=160", models.BuildOptions{NoWeights: true})
	if err != nil {
		panic(err)
	}
	r, err := analysis.Analyze(g)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s MACs, %s params, %s weights\n", analysis.Commas(r.MACs), analysis.Commas(r.Params), analysis.Commas(r.Weights))
	pw := r.ShareOf(analysis.KindPointwise)
	fmt.Printf("1x1 convs: %.1f%% of MACs\n", 100*pw.MACShare)
	// Output:
	// 76,524,800 MACs, 1,331,592 params, 1,319,648 weights
	// 1x1 convs: 89.9% of MACs
}
