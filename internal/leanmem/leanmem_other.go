//go:build !linux

package leanmem

// Release drops the executable's pages from the resident set on Linux
// (leanmem_linux.go); elsewhere it does nothing.
func Release(split bool, clean ...[]byte) {}
