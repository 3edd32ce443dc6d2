package main

import (
	"fmt"
	"os"
	"testing"
)

// runAsMNC, set in the environment to a file name, makes the test binary
// run as the mnc command and write its peak RSS (bytes) to that file: tests
// measure a separate process this way (the rusage of a child started by Go
// counts the parent's pages too).
const runAsMNC = "MNC_TEST_RUN_AS_MNC"

func TestMain(m *testing.M) {
	if f := os.Getenv(runAsMNC); f != "" {
		isCommand = true
		releaseStartupPages()
		rc := realMain(os.Args[1:], os.Stdout, os.Stderr)
		if err := os.WriteFile(f, fmt.Appendf(nil, "%d", peakRSS()), 0o644); err != nil {
			rc = 3
		}
		os.Exit(rc)
	}
	os.Exit(m.Run())
}
