// Package hostile makes the adversarial inputs that tests and fuzz targets
// in several packages share: a PNG whose header claims more pixels than it
// holds, and fuzz bytes read as floats in which NaN, ±Inf and the extremes
// are common.
package hostile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"math"
)

// PNGClaiming is a PNG whose header declares w×h 8-bit RGB pixels and whose
// IDAT chunk (where Go's decoder allocates the image) holds 100 bytes of
// them.
func PNGClaiming(w, h uint32) []byte {
	chunk := func(b []byte, kind string, data []byte) []byte {
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
		c := append([]byte(kind), data...)
		return binary.BigEndian.AppendUint32(append(b, c...), crc32.ChecksumIEEE(c))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 100))
	zw.Close()
	return chunk(chunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr), "IDAT", z.Bytes())
}

// Float maps 4 bytes (fewer are padded with zeros) to a float32, making
// the special values common: a leading byte 0xF0-0xF8 is NaN, +Inf, -Inf,
// MaxFloat32, -MaxFloat32, 0, -0, the smallest denormal or 1.
func Float(b []byte) float32 {
	var w [4]byte
	copy(w[:], b)
	switch w[0] {
	case 0xF0:
		return float32(math.NaN())
	case 0xF1:
		return float32(math.Inf(1))
	case 0xF2:
		return float32(math.Inf(-1))
	case 0xF3:
		return math.MaxFloat32
	case 0xF4:
		return -math.MaxFloat32
	case 0xF5:
		return 0
	case 0xF6:
		return float32(math.Copysign(0, -1))
	case 0xF7:
		return math.SmallestNonzeroFloat32
	case 0xF8:
		return 1
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(w[:]))
}

// Floats reads n floats from data, 4 bytes each (Float), zeros once data
// runs out.
func Floats(data []byte, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		k := min(4, len(data))
		out[i] = Float(data[:k])
		data = data[k:]
	}
	return out
}
