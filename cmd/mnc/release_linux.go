package main

import (
	"codeberg.org/go-fonts/liberation/liberationmonobold"
	"codeberg.org/go-fonts/liberation/liberationmonobolditalic"
	"codeberg.org/go-fonts/liberation/liberationmonoitalic"
	"codeberg.org/go-fonts/liberation/liberationmonoregular"
	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansbolditalic"
	"codeberg.org/go-fonts/liberation/liberationsansitalic"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-fonts/liberation/liberationserifbold"
	"codeberg.org/go-fonts/liberation/liberationserifbolditalic"
	"codeberg.org/go-fonts/liberation/liberationserifitalic"
	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/mnc-go/mnc/internal/leanmem"
)

// releaseStartupPages drops from the process's resident set the pages of
// the mnc executable that the work so far touched and what follows may not
// need: its read-only mappings (code, constant data) and the fonts that
// package initialisation parses (gonum/plot's 12 Liberation and go-latex's
// 4 Go TrueType files embedded in the binary's data, ~5 MB, read again by
// bench -plot only). See leanmem.Release. mnc calls it at start-up and
// (as releaseLeanPages) between loading a plan file and running it, so
// that the run's peak holds only the code the run itself touches.
func releaseStartupPages() { releasePages(false) }

// releaseLeanPages is releaseStartupPages before the work that sets mnc's
// peak (the run of a plan file, the compile of a model run once): it also
// makes the kernel map the executable's code and constants back a page at
// a time from then on, not 64 KiB (leanmem.Release's split). `mnc run
// -threads 1` of MobileNetV2's plan: peak 20296-20864 -> 18452-18900 KiB
// with the plan's checksum dropping pages as it goes; from scratch
// 27716-29036 -> 26408-27816 KiB.
func releaseLeanPages() { releasePages(true) }

func releasePages(split bool) {
	leanmem.Release(split,
		liberationmonobold.TTF, liberationmonobolditalic.TTF, liberationmonoitalic.TTF, liberationmonoregular.TTF,
		liberationsansbold.TTF, liberationsansbolditalic.TTF, liberationsansitalic.TTF, liberationsansregular.TTF,
		liberationserifbold.TTF, liberationserifbolditalic.TTF, liberationserifitalic.TTF, liberationserifregular.TTF,
		gobold.TTF, gobolditalic.TTF, goitalic.TTF, goregular.TTF)
}
