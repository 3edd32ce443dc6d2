package main

import (
	"bytes"
	"os"
	"strconv"

	"github.com/mnc-go/mnc/plan"
)

// peakRSS is the process's peak resident set in bytes (VmHWM from
// /proc/self/status), or 0 where there is no such file.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := bytes.Fields(v) // "12345 kB"
			if len(f) == 2 && string(f[1]) == "kB" {
				if n, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
					return n << 10
				}
			}
		}
	}
	return 0
}

// weightsBytes is the size of the plan's packed constants.
func weightsBytes(p *plan.Plan) int64 {
	var n int64
	for _, b := range p.Blobs {
		n += int64(len(b)) * 4
	}
	return n
}
