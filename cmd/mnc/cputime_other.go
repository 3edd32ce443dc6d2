//go:build !linux

package main

import "time"

// threadCPU and processCPU read CPU time on Linux (cputime_linux.go);
// elsewhere they report 0 and bench -compare compares wall time only.
func threadCPU() time.Duration  { return 0 }
func processCPU() time.Duration { return 0 }
