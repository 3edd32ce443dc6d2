package models_test

import (
	"fmt"

	"github.com/mnc-go/mnc/models"
)

func ExampleBuildSpec() {
	g, err := models.BuildSpec("v3s:alpha=0.75,classes=10", models.BuildOptions{NoWeights: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Name, g.Inputs[0].Name, g.Inputs[0].Shape, g.Outputs[0].Name, g.Outputs[0].Shape)
	_, err = models.BuildSpec("mobilenet_v5", models.BuildOptions{})
	fmt.Println(err)
	// Output:
	// mobilenet_v3_small:alpha=0.75,classes=10 input [1×3×224×224] logits [1×10]
	// model spec "mobilenet_v5": unknown model "mobilenet_v5" (valid: lraspp_mobilenet_v3_large, mobilenet_v1, mobilenet_v1_conv, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small, mobilenet_v4_conv_large, mobilenet_v4_conv_medium, mobilenet_v4_conv_small, ssdlite320_mobilenet_v3_large (short: lraspp, ssdlite, ssdlite320, v1, v1_conv, v2, v3_large, v3_small, v3l, v3s, v4_conv_large, v4_conv_medium, v4_conv_small, v4l, v4m, v4s))
}
