package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/internal/hostile"
)

// TestHostileUnderAddressLimit: under ulimit -v the default memory budget
// shrinks to what the limit leaves (limits.Default), so an input the 4 GiB
// default would pass ends in one line naming it instead of Go's fatal
// out-of-memory error. Before, a 57-byte PNG claiming 2^27×1 pixels died
// that way under ulimit -v 2000000 on a machine with 23 GB.
func TestHostileUnderAddressLimit(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	wide := filepath.Join(dir, "wide.png")
	if err := os.WriteFile(wide, hostile.PNGClaiming(1<<27, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `ulimit -v 2000000 && exec "$0" "$@"`, os.Args[0], "run", "-threads", "1", "-image", wide, "mobilenet_v3_small:res=64")
	cmd.Env = append(os.Environ(), runAsMNC+"="+filepath.Join(dir, "rss"))
	out, err := cmd.CombinedOutput()
	code := cmd.ProcessState.ExitCode()
	want := "decoding the png image of 134217728×1 pixels needs 3.50 GiB, more than the memory budget of 464.6 MiB"
	if code != 2 || strings.Count(string(out), "\n") != 1 || !strings.Contains(string(out), want) {
		t.Errorf("exit %d (%v), output:\n%.2000s\nwant exit 2 and one line with %q", code, err, out, want)
	}
}
