package plan

// The plan file format, version 1 (all integers little-endian):
//
//	magic   [8]byte  "MNCPLAN\x00"
//	version uint32   FormatVersion
//	isa     uint32   kernels.ISA the blobs are packed for
//	length  uint64   payload bytes
//	crc     uint32   CRC-32 (IEEE) of the payload
//	payload          the Plan: varint-coded integers, length-prefixed
//	                 strings and slices, float32 bit patterns (see codec.go)
//
// Packed weights are part of the payload, so a plan file is self-contained.
// Decode checks every length against the bytes that remain before it
// allocates, so a corrupt file gives an error, never a panic or a huge
// allocation.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/mnc-go/mnc/kernels"
)

// Magic opens every plan file.
const Magic = "MNCPLAN\x00"

// FormatVersion is the version Encode writes and the only one Decode reads.
const FormatVersion = 1

const headerSize = 8 + 4 + 4 + 8 + 4

// maxPayload bounds the payload a file may declare (16 GiB), so a corrupt
// length is refused before anything is read.
const maxPayload = 16 << 30

// Encode writes p in the plan file format.
func Encode(w io.Writer, p *Plan) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("plan: refusing to encode an invalid plan: %w", err)
	}
	var e encoder
	e.plan(p)
	var hdr [headerSize]byte
	copy(hdr[:8], Magic)
	binary.LittleEndian.PutUint32(hdr[8:], FormatVersion)
	binary.LittleEndian.PutUint32(hdr[12:], uint32(p.ISA))
	binary.LittleEndian.PutUint64(hdr[16:], uint64(len(e.buf)))
	binary.LittleEndian.PutUint32(hdr[24:], crc32.ChecksumIEEE(e.buf))
	if _, err := w.Write(hdr[:]); err != nil {
		return fmt.Errorf("plan: writing header: %w", err)
	}
	if _, err := w.Write(e.buf); err != nil {
		return fmt.Errorf("plan: writing payload: %w", err)
	}
	return nil
}

// Decode reads a plan written by Encode and validates it.
func Decode(r io.Reader) (*Plan, error) {
	var hdr [headerSize]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		m := min(n, 8)
		if !bytes.HasPrefix([]byte(Magic), hdr[:m]) {
			return nil, fmt.Errorf("plan: not a plan file (magic %q, want %q)", hdr[:m], Magic)
		}
		return nil, fmt.Errorf("plan: truncated header (%d of %d bytes): %w", n, headerSize, err)
	}
	if string(hdr[:8]) != Magic {
		return nil, fmt.Errorf("plan: not a plan file (magic %q, want %q)", hdr[:8], Magic)
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != FormatVersion {
		return nil, fmt.Errorf("plan: unsupported format version %d (this build reads version %d)", v, FormatVersion)
	}
	isa := binary.LittleEndian.Uint32(hdr[12:])
	if _, err := kernels.ParseISA(kernels.ISA(isa).String()); isa > 255 || err != nil {
		return nil, fmt.Errorf("plan: unknown ISA %d in header", isa)
	}
	n := binary.LittleEndian.Uint64(hdr[16:])
	if n > maxPayload {
		return nil, fmt.Errorf("plan: payload length %d is implausible (corrupt header)", n)
	}
	want := binary.LittleEndian.Uint32(hdr[24:])
	// ReadAll grows with the data actually present, so a lying length cannot
	// make us allocate more than the file holds.
	payload, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("plan: reading payload: %w", err)
	}
	if uint64(len(payload)) != n {
		return nil, fmt.Errorf("plan: truncated payload (%d of %d bytes)", len(payload), n)
	}
	if got := crc32.ChecksumIEEE(payload); got != want {
		return nil, fmt.Errorf("plan: checksum mismatch (file says %08x, payload has %08x): the file is corrupt", want, got)
	}
	d := decoder{buf: payload}
	p := d.plan()
	if d.err != nil {
		return nil, fmt.Errorf("plan: payload at byte %d: %w", d.off, d.err)
	}
	if d.off != len(payload) {
		return nil, fmt.Errorf("plan: %d trailing bytes after the plan", len(payload)-d.off)
	}
	if p.ISA != kernels.ISA(isa) {
		return nil, fmt.Errorf("plan: header ISA %s differs from payload ISA %s", kernels.ISA(isa), p.ISA)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return p, nil
}
