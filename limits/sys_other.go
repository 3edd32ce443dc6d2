//go:build !linux

package limits

func machineMemory() int64 { return 0 }

func cgroupLimit() int64 { return 0 }

func addressLimit() int64 { return 0 }

// isTerminal is false where mnc does not know how to ask: -input reads
// regular files and pipes there.
func isTerminal(string) bool { return false }
