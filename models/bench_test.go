package models

import "testing"

// BenchmarkBuild measures what a test pays for models.Build (weights and
// calibration) and for the NoWeights path mnc stats takes.
func BenchmarkBuild(b *testing.B) {
	for _, spec := range []string{"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"} {
		b.Run(spec, func(b *testing.B) {
			for range b.N {
				if _, err := Build(spec); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(spec+"/noweights", func(b *testing.B) {
			for range b.N {
				if _, err := BuildSpec(spec, BuildOptions{NoWeights: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
