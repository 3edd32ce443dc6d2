// Package labels names a classifier's output classes: ImageNet-1k's 1000
// names are built in (as torchvision lists them, class 0 "tench"), and a
// file with one name a line supplies any other set.
package labels

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/mnc-go/mnc/limits"
)

//go:embed imagenet.txt
var imagenetText string

// ImageNet returns the 1000 ImageNet-1k class names in class-index order.
func ImageNet() []string { return split(imagenetText) }

func split(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// MaxFileSize bounds a label file: a million classes of 60 characters.
const MaxFileSize = 64 << 20

// Read reads a label file: one class name a line, in class-index order (a
// final newline is optional). It reads regular files and pipes of at most
// MaxFileSize and refuses devices: -labels /dev/zero read until Go's fatal
// out-of-memory error.
func Read(path string) ([]string, error) {
	b, err := limits.ReadFile(path, "label file", MaxFileSize)
	if err != nil {
		return nil, err
	}
	n := split(string(b))
	if len(n) == 0 {
		return nil, fmt.Errorf("%s: no labels (want one class name a line)", path)
	}
	return n, nil
}

// Fit returns one name per class of an output with the given number of
// classes: names itself when it has that many, or "background" followed by
// names when it has one fewer (1001-class ImageNet models put background
// at class 0).
func Fit(names []string, classes int) ([]string, error) {
	switch len(names) {
	case classes:
		return names, nil
	case classes - 1:
		return append([]string{"background"}, names...), nil
	}
	return nil, fmt.Errorf("%d labels for an output of %d classes (want %d, or %d with background at class 0)", len(names), classes, classes, classes-1)
}
