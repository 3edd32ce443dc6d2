//go:build !linux

package main

// releaseStartupPages drops startup pages from the resident set on Linux
// (release_linux.go); elsewhere it does nothing.
func releaseStartupPages() {}

// releaseLeanPages is releaseStartupPages before a run or compile.
func releaseLeanPages() {}
