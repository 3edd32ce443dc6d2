package plan

import (
	"bufio"
	"fmt"
	"os"

	"github.com/mnc-go/mnc/limits"
)

// Save writes p to a plan file at path (created or truncated).
func Save(path string, p *Plan) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	w := bufio.NewWriter(f)
	if err := Encode(w, p); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("plan: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("plan: closing %s: %w", path, err)
	}
	return nil
}

// Load reads a plan file written by Save. Where the OS allows (Linux, a
// regular file), the file is mapped into memory and the plan's blobs are
// the mapped weights themselves: nothing is copied, and the pages are
// shared with the page cache (and with every process running the same
// plan). The mapping is private (writes, which mnc never makes, would not
// reach the file) and lasts as long as the process; Release ends it.
// Elsewhere, or for pipes, the file is read into memory once.
func Load(path string) (*Plan, error) {
	f, err := limits.Open(path, "plan file")
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	defer f.Close()
	if data, ok := mapFile(f); ok {
		p, err := decodeBytes(data, true)
		if err != nil {
			unmap(data)
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		p.mapped = data
		// Decoding read every page (the CRC covers the whole payload,
		// and dropped it as it went: see checksum); hand back what is
		// left: each weight's pages come in again, from the page cache,
		// when a run first reads them, so the process holds the file's
		// pages only while it runs, not also while it loads.
		dropPages(data)
		return p, nil
	}
	p, err := Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Mapped reports whether the plan's blobs are a file mapped into memory.
func (p *Plan) Mapped() bool { return p.mapped != nil }

// Release unmaps the file a plan was loaded from (a no-op for plans that
// were not mapped). The plan and every executor made from it must not be
// used afterwards.
func (p *Plan) Release() {
	if p.mapped != nil {
		// Out of the resident set first, in one system call: unmapping
		// looks the mapping up in tables whose pages may need reading.
		dropPages(p.mapped)
		unmap(p.mapped)
		p.mapped, p.Blobs = nil, nil
	}
}
