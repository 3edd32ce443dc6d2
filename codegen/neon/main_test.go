package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestCheckedInOutputIsCurrent regenerates every file in memory and
// compares it with asm/, so `go test ./...` catches a generator change
// that was not followed by `go generate` (CI's gen-check does the same).
func TestCheckedInOutputIsCurrent(t *testing.T) {
	files, err := generate("asm", "asm")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", "asm", name))
		if err != nil {
			t.Errorf("%s: %v (run go generate at the repository root)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("asm/%s differs from the generator's output: run go generate at the repository root", name)
		}
	}
}

var wordLine = regexp.MustCompile(`WORD \$0x([0-9a-f]{8}) // (.*)`)

// TestEveryEmittedWordDecodes disassembles every distinct WORD the
// generator emits with llvm-mc and requires the mnemonic in its comment, so
// the kernels' hand-encoded instructions are checked, not only the encoder
// test's samples.
func TestEveryEmittedWordDecodes(t *testing.T) {
	mc, err := exec.LookPath("llvm-mc")
	if err != nil {
		t.Skip("llvm-mc not installed (Debian package llvm); skipping")
	}
	files, err := generate("asm", "asm")
	if err != nil {
		t.Fatal(err)
	}
	words := map[string]string{}
	for name, data := range files {
		if !strings.HasSuffix(name, ".s") {
			continue
		}
		for _, m := range wordLine.FindAllStringSubmatch(string(data), -1) {
			words[m[1]] = m[2]
		}
	}
	if len(words) < 50 {
		t.Fatalf("only %d distinct WORDs found; the pattern no longer matches the generator's output", len(words))
	}
	keys := make([]string, 0, len(words))
	for k := range words {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var in strings.Builder
	for _, k := range keys {
		var w uint32
		fmt.Sscanf(k, "%x", &w)
		fmt.Fprintf(&in, "0x%02x 0x%02x 0x%02x 0x%02x\n", w&0xff, w>>8&0xff, w>>16&0xff, w>>24)
	}
	cmd := exec.Command(mc, "-disassemble", "-triple=aarch64", "-mattr=+dotprod,+i8mm")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	var got []string
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, ".") {
			got = append(got, strings.Join(strings.Fields(line), " "))
		}
	}
	if len(got) != len(keys) {
		t.Fatalf("llvm-mc decoded %d of %d words:\n%s", len(got), len(keys), out)
	}
	for i, k := range keys {
		if got[i] != words[k] {
			t.Errorf("WORD $0x%s: llvm-mc says %q, comment says %q", k, got[i], words[k])
		}
	}
}
