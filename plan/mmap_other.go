//go:build !linux

package plan

import "os"

// mapFile is Linux-only; other systems read the file (see Load).
func mapFile(*os.File) ([]byte, bool) { return nil, false }

func unmap([]byte) {}

func dropPages([]byte) {}
