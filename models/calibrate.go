package models

import "github.com/mnc-go/mnc/ir"

// Calibrate sets every BatchNorm's running statistics (placeholder until the
// reference executor lands).
func Calibrate(g *ir.Graph) error { return nil }
