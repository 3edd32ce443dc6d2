package plan

// The plan file format, version 7 (all integers little-endian):
//
//	magic   [8]byte  "MNCPLAN\x00"
//	version uint32   FormatVersion
//	isa     uint32   kernels.ISA the blobs are packed for
//	length  uint64   payload bytes (everything after the header)
//	crc     uint32   CRC-32 (IEEE) of the payload
//	payload          the Plan's description: varint-coded integers,
//	                 length-prefixed strings and slices, float32 bit
//	                 patterns (see codec.go), ending with the blobs' packing
//	                 layout (kernels.Set.Packing) and the blob lengths;
//	                 then the blobs' float32 values, each blob starting at a
//	                 file offset that is a multiple of 64 (zero bytes pad
//	                 the gaps)
//
// Packed weights are part of the file, so a plan file is self-contained.
// Blobs are 64-byte aligned in the file so that Load can map the file into
// memory and use the weights where they lie (no copy: the process's
// resident memory holds them once, as page cache). Decode checks every
// length against the bytes that remain before it allocates, so a corrupt
// file gives an error, never a panic or a huge allocation.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"unsafe"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/limits"
)

// Magic opens every plan file.
const Magic = "MNCPLAN\x00"

// FormatVersion is the version Encode writes and the only one Decode reads.
const FormatVersion = 13

const headerSize = 8 + 4 + 4 + 8 + 4

// blobAlign is the file-offset alignment of every blob (bytes).
const blobAlign = 64

// maxPayload bounds the payload a file may declare (16 GiB), so a corrupt
// length is refused before anything is read.
const maxPayload = 16 << 30

// Encode writes p in the plan file format. The blobs are written from
// where they lie (no copy of the weights is made on little-endian
// machines).
func Encode(w io.Writer, p *Plan) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("plan: refusing to encode an invalid plan: %w", err)
	}
	return writePlan(w, p)
}

// writePlan writes p without validating it (tests forge hostile files with it).
func writePlan(w io.Writer, p *Plan) error {
	var e encoder
	e.plan(p)
	meta := e.buf
	// Lay the blobs out after the description and checksum everything.
	crc := crc32.ChecksumIEEE(meta)
	pos := headerSize + len(meta)
	pads := make([]int, len(p.Blobs))
	var zeros [blobAlign]byte
	var conv []byte
	for i, b := range p.Blobs {
		pads[i] = (blobAlign - pos%blobAlign) % blobAlign
		crc = crc32.Update(crc, crc32.IEEETable, zeros[:pads[i]])
		var bb []byte
		bb, conv = blobBytes(b, conv)
		crc = crc32.Update(crc, crc32.IEEETable, bb)
		pos += pads[i] + 4*len(b)
	}
	var hdr [headerSize]byte
	copy(hdr[:8], Magic)
	binary.LittleEndian.PutUint32(hdr[8:], FormatVersion)
	binary.LittleEndian.PutUint32(hdr[12:], uint32(p.ISA))
	binary.LittleEndian.PutUint64(hdr[16:], uint64(pos-headerSize))
	binary.LittleEndian.PutUint32(hdr[24:], crc)
	if _, err := w.Write(hdr[:]); err != nil {
		return fmt.Errorf("plan: writing header: %w", err)
	}
	if _, err := w.Write(meta); err != nil {
		return fmt.Errorf("plan: writing payload: %w", err)
	}
	for i, b := range p.Blobs {
		var bb []byte
		bb, conv = blobBytes(b, conv)
		if _, err := w.Write(zeros[:pads[i]]); err != nil {
			return fmt.Errorf("plan: writing payload: %w", err)
		}
		if _, err := w.Write(bb); err != nil {
			return fmt.Errorf("plan: writing payload: %w", err)
		}
	}
	return nil
}

// littleEndian is whether this machine stores float32 like the file does.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// blobBytes returns b's little-endian bytes: a view of b on little-endian
// machines, else a conversion into buf (reused).
func blobBytes(b []float32, buf []byte) ([]byte, []byte) {
	if len(b) == 0 {
		return nil, buf
	}
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), 4*len(b)), buf
	}
	buf = buf[:0]
	for _, v := range b {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	return buf, buf
}

// Decode reads a plan written by Encode and validates it. The plan's blobs
// are views of the bytes read (one copy of the weights in memory).
func Decode(r io.Reader) (*Plan, error) {
	var hdr [headerSize]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		m := min(n, 8)
		if !bytes.HasPrefix([]byte(Magic), hdr[:m]) {
			return nil, fmt.Errorf("plan: not a plan file (magic %q, want %q)", hdr[:m], Magic)
		}
		return nil, fmt.Errorf("plan: truncated header (%d of %d bytes): %w", n, headerSize, err)
	}
	n, err := checkHeader(hdr[:])
	if err != nil {
		return nil, err
	}
	// The payload is read into float32-aligned memory, so blobs can be
	// views of it. Reading grows with the data actually present, so a lying
	// length cannot make us allocate more than the file holds.
	payload, err := readAligned(r, n)
	if err != nil {
		return nil, fmt.Errorf("plan: reading payload: %w", err)
	}
	if uint64(len(payload)) != n {
		return nil, fmt.Errorf("plan: truncated payload (%d of %d bytes)", len(payload), n)
	}
	return decodePayload(hdr[:], payload, false)
}

// DecodeBytes decodes a whole plan file held in memory (for example mapped
// from disk). The plan's blobs are views of data, which must not change
// while the plan is used.
func DecodeBytes(data []byte) (*Plan, error) { return decodeBytes(data, false) }

// decodeBytes is DecodeBytes; mapped says data is a private file mapping
// nothing writes (Load's), whose pages the checksum hands back as it goes.
func decodeBytes(data []byte, mapped bool) (*Plan, error) {
	if len(data) < headerSize {
		m := min(len(data), 8)
		if !bytes.HasPrefix([]byte(Magic), data[:m]) {
			return nil, fmt.Errorf("plan: not a plan file (magic %q, want %q)", data[:m], Magic)
		}
		return nil, fmt.Errorf("plan: truncated header (%d of %d bytes)", len(data), headerSize)
	}
	n, err := checkHeader(data[:headerSize])
	if err != nil {
		return nil, err
	}
	payload := data[headerSize:]
	if uint64(len(payload)) < n {
		return nil, fmt.Errorf("plan: truncated payload (%d of %d bytes)", len(payload), n)
	}
	if uint64(len(payload)) > n {
		return nil, fmt.Errorf("plan: %d trailing bytes after the plan", uint64(len(payload))-n)
	}
	return decodePayload(data[:headerSize], payload, mapped)
}

// checkHeader checks magic, version and ISA and returns the payload length.
func checkHeader(hdr []byte) (uint64, error) {
	if string(hdr[:8]) != Magic {
		return 0, fmt.Errorf("plan: not a plan file (magic %q, want %q)", hdr[:8], Magic)
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != FormatVersion {
		return 0, fmt.Errorf("plan: unsupported format version %d (this build reads version %d; recompile the model)", v, FormatVersion)
	}
	isa := binary.LittleEndian.Uint32(hdr[12:])
	if _, err := kernels.ParseISA(kernels.ISA(isa).String()); isa > 255 || err != nil {
		return 0, fmt.Errorf("plan: unknown ISA %d in header", isa)
	}
	n := binary.LittleEndian.Uint64(hdr[16:])
	if n > maxPayload {
		return 0, fmt.Errorf("plan: payload length %d is implausible (corrupt header)", n)
	}
	if err := limits.Check(0, "the plan's payload", int64(n)); err != nil {
		return 0, fmt.Errorf("plan: %w", err)
	}
	return n, nil
}

// checksum is the CRC-32 (IEEE) of payload. With drop, payload is (part
// of) a private file mapping nothing has written, and the pages already
// summed leave the resident set as it goes (dropPages), 2 MiB at a time
// at 2 MiB-aligned addresses (the page cache may map a file in folios of
// up to that size, each whole at its first fault): the checksum then never
// holds the whole file (13.5 MiB for MobileNetV2) on top of the loading
// code and heap; a run maps each weight back as it first reads it.
func checksum(payload []byte, drop bool) uint32 {
	if !drop {
		return crc32.ChecksumIEEE(payload)
	}
	const chunk = 2 << 20
	page := uintptr(os.Getpagesize())
	base := uintptr(unsafe.Pointer(unsafe.SliceData(payload)))
	done := int((page - base%page) % page) // payload[done:] starts a page
	var crc uint32
	for lo := 0; lo < len(payload); {
		hi := min(len(payload), lo+chunk-int((base+uintptr(lo))%chunk))
		crc = crc32.Update(crc, crc32.IEEETable, payload[lo:hi])
		end := hi
		if hi < len(payload) {
			end -= int((base + uintptr(hi)) % page) // whole pages only
		}
		if end > done {
			dropPages(payload[done:end])
			done = end
		}
		lo = hi
	}
	return crc
}

// readAligned reads up to n bytes into a buffer whose first byte sits at
// headerSize mod blobAlign (as in the file), so blobs land aligned.
func readAligned(r io.Reader, n uint64) ([]byte, error) {
	const skip = headerSize % blobAlign
	const chunk = 1 << 20
	buf := alignedBytes(skip + int(min(n, chunk)))[skip:skip]
	for uint64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := alignedBytes(skip + int(min(n, 2*uint64(cap(buf))+chunk)))[skip:]
			buf = grown[:copy(grown, buf)]
		}
		m, err := r.Read(buf[len(buf):min(uint64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// alignedBytes returns n bytes starting at a blobAlign-aligned address.
func alignedBytes(n int) []byte {
	b := make([]byte, n+blobAlign)
	off := int(uintptr(unsafe.Pointer(&b[0])) % blobAlign)
	if off != 0 {
		off = blobAlign - off
	}
	return b[off : off+n : off+n]
}

// decodePayload checks the payload's checksum and decodes it; blobs are
// views of payload where alignment and byte order allow, else copies.
// mapped: see decodeBytes.
func decodePayload(hdr, payload []byte, mapped bool) (*Plan, error) {
	if got, want := checksum(payload, mapped), binary.LittleEndian.Uint32(hdr[24:]); got != want {
		return nil, fmt.Errorf("plan: checksum mismatch (file says %08x, payload has %08x): the file is corrupt", want, got)
	}
	d := decoder{buf: payload}
	p := d.plan()
	if d.err != nil {
		return nil, fmt.Errorf("plan: payload at byte %d: %w", d.off, d.err)
	}
	pos := d.off
	for i := range p.Blobs {
		n := d.blobLens[i]
		pos += (blobAlign - (headerSize+pos)%blobAlign) % blobAlign
		if pos > len(payload) || n > (len(payload)-pos)/4 {
			return nil, fmt.Errorf("plan: blob %d (%d values) runs past the end of the file", i, n)
		}
		p.Blobs[i] = floatsAt(payload[pos : pos+4*n])
		pos += 4 * n
	}
	if pos != len(payload) {
		return nil, fmt.Errorf("plan: %d trailing bytes after the plan", len(payload)-pos)
	}
	if isa := kernels.ISA(binary.LittleEndian.Uint32(hdr[12:])); p.ISA != isa {
		return nil, fmt.Errorf("plan: header ISA %s differs from payload ISA %s", isa, p.ISA)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	// A loaded plan passes the checker compiled ones pass (passes.Compile
	// with Verify): steps reordered or offsets edited so that live tensors
	// share floats are refused, not run.
	if err := CheckMemory(p); err != nil {
		return nil, fmt.Errorf("plan: its tensors' memory overlaps: %w", err)
	}
	return p, nil
}

// floatsAt returns b's little-endian float32 values: a view of b when the
// machine is little-endian and b is 4-byte aligned, else a copy.
func floatsAt(b []byte) []float32 {
	n := len(b) / 4
	if n == 0 {
		return []float32{}
	}
	if littleEndian && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)[:n:n]
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
