package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/limits"
)

// maxElements bounds a tensor's declared size so that a corrupt dims field
// cannot make the importer allocate gigabytes.
const maxElements = 1 << 30

// decodeTensor turns a TensorProto into a cval. Float and double become
// float32; int64, int32 and the small integer types become integers (for
// shape arithmetic). dir is where external data files live.
func decodeTensorValues(t *pb.TensorProto, dir string) (*cval, error) {
	shape := make([]int, len(t.GetDims()))
	n := 1
	for k, d := range t.GetDims() {
		if d < 0 || d > maxElements {
			return nil, fmt.Errorf("tensor %q: dimension %d is %d", t.GetName(), k, d)
		}
		shape[k] = int(d)
		n *= shape[k]
		if n > maxElements {
			return nil, fmt.Errorf("tensor %q: shape %v is too large", t.GetName(), t.GetDims())
		}
	}
	raw := t.GetRawData()
	dt := pb.TensorProto_DataType(t.GetDataType())
	if t.GetDataLocation() == pb.TensorProto_EXTERNAL {
		w := dataWidth[dt]
		if w == 0 {
			return nil, fmt.Errorf("tensor %q: unsupported data type %v", t.GetName(), dt)
		}
		var err error
		if raw, err = readExternal(t, dir, int64(n)*int64(w)); err != nil {
			return nil, err
		}
	}
	width := map[pb.TensorProto_DataType]int{
		pb.TensorProto_FLOAT: 4, pb.TensorProto_DOUBLE: 8, pb.TensorProto_INT64: 8, pb.TensorProto_INT32: 4,
		pb.TensorProto_INT16: 2, pb.TensorProto_INT8: 1, pb.TensorProto_UINT8: 1, pb.TensorProto_UINT16: 2,
		pb.TensorProto_UINT32: 4, pb.TensorProto_UINT64: 8, pb.TensorProto_BOOL: 1,
	}[dt]
	if width == 0 {
		return nil, fmt.Errorf("tensor %q: unsupported data type %v", t.GetName(), dt)
	}
	if len(raw) > 0 || t.GetDataLocation() == pb.TensorProto_EXTERNAL {
		if len(raw) != n*width {
			return nil, fmt.Errorf("tensor %q: %d bytes of data for shape %v of %v (want %d)", t.GetName(), len(raw), shape, dt, n*width)
		}
		return decodeRaw(dt, shape, raw), nil
	}
	count := func(got int) error {
		if got != n {
			return fmt.Errorf("tensor %q: %d values for shape %v", t.GetName(), got, shape)
		}
		return nil
	}
	switch dt {
	case pb.TensorProto_FLOAT:
		if err := count(len(t.GetFloatData())); err != nil {
			return nil, err
		}
		return newFloat(shape, append([]float32{}, t.GetFloatData()...)), nil
	case pb.TensorProto_DOUBLE:
		if err := count(len(t.GetDoubleData())); err != nil {
			return nil, err
		}
		f := make([]float32, n)
		for k, v := range t.GetDoubleData() {
			f[k] = float32(v)
		}
		return newFloat(shape, f), nil
	case pb.TensorProto_INT64:
		if err := count(len(t.GetInt64Data())); err != nil {
			return nil, err
		}
		return newInt(shape, append([]int64{}, t.GetInt64Data()...)), nil
	case pb.TensorProto_UINT32, pb.TensorProto_UINT64:
		if err := count(len(t.GetUint64Data())); err != nil {
			return nil, err
		}
		i := make([]int64, n)
		for k, v := range t.GetUint64Data() {
			i[k] = int64(v)
		}
		return newInt(shape, i), nil
	default: // the 32-bit-and-narrower integer types and bool live in int32_data
		if err := count(len(t.GetInt32Data())); err != nil {
			return nil, err
		}
		i := make([]int64, n)
		for k, v := range t.GetInt32Data() {
			i[k] = int64(v)
		}
		return newInt(shape, i), nil
	}
}

// decodeRaw reads little-endian raw_data; the length was checked.
func decodeRaw(dt pb.TensorProto_DataType, shape []int, raw []byte) *cval {
	n := shapeSize(shape)
	le := binary.LittleEndian
	switch dt {
	case pb.TensorProto_FLOAT:
		f := make([]float32, n)
		for k := range f {
			f[k] = math.Float32frombits(le.Uint32(raw[4*k:]))
		}
		return newFloat(shape, f)
	case pb.TensorProto_DOUBLE:
		f := make([]float32, n)
		for k := range f {
			f[k] = float32(math.Float64frombits(le.Uint64(raw[8*k:])))
		}
		return newFloat(shape, f)
	}
	i := make([]int64, n)
	for k := range i {
		switch dt {
		case pb.TensorProto_INT64, pb.TensorProto_UINT64:
			i[k] = int64(le.Uint64(raw[8*k:]))
		case pb.TensorProto_INT32:
			i[k] = int64(int32(le.Uint32(raw[4*k:])))
		case pb.TensorProto_UINT32:
			i[k] = int64(le.Uint32(raw[4*k:]))
		case pb.TensorProto_INT16:
			i[k] = int64(int16(le.Uint16(raw[2*k:])))
		case pb.TensorProto_UINT16:
			i[k] = int64(le.Uint16(raw[2*k:]))
		case pb.TensorProto_INT8:
			i[k] = int64(int8(raw[k]))
		default: // UINT8, BOOL
			i[k] = int64(raw[k])
		}
	}
	return newInt(shape, i)
}

// dataWidth is the bytes per element of raw data.
var dataWidth = map[pb.TensorProto_DataType]int{
	pb.TensorProto_FLOAT: 4, pb.TensorProto_DOUBLE: 8, pb.TensorProto_INT64: 8, pb.TensorProto_INT32: 4,
	pb.TensorProto_INT16: 2, pb.TensorProto_INT8: 1, pb.TensorProto_UINT8: 1, pb.TensorProto_UINT16: 2,
	pb.TensorProto_UINT32: 4, pb.TensorProto_UINT64: 8, pb.TensorProto_BOOL: 1,
}

// readExternal reads a tensor stored outside the model file (ONNX's
// external data: location, offset and length keys, location relative to the
// model's directory). want is the byte size the tensor's shape and type
// need; it is checked against length, the file's size and the memory budget
// before anything is read, and exactly that much is read. The location must
// be a regular file inside the model's directory once symbolic links are
// resolved: a link to a file elsewhere, a FIFO (which would block), a
// device or a directory is refused.
func readExternal(t *pb.TensorProto, dir string, want int64) ([]byte, error) {
	var loc string
	offset, length := int64(0), int64(-1)
	for _, kv := range t.GetExternalData() {
		var err error
		switch kv.GetKey() {
		case "location":
			loc = kv.GetValue()
		case "offset":
			offset, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		case "length":
			length, err = strconv.ParseInt(kv.GetValue(), 10, 64)
		}
		if err != nil || offset < 0 {
			return nil, fmt.Errorf("tensor %q: bad external data %s=%q", t.GetName(), kv.GetKey(), kv.GetValue())
		}
	}
	if loc == "" {
		return nil, fmt.Errorf("tensor %q: external data without a location", t.GetName())
	}
	if length >= 0 && length != want {
		return nil, fmt.Errorf("tensor %q: external data length %d, but its shape and type need %d bytes", t.GetName(), length, want)
	}
	if filepath.IsAbs(loc) || strings.HasPrefix(filepath.Clean(loc), "..") {
		return nil, fmt.Errorf("tensor %q: external data location %q must be relative to the model's directory", t.GetName(), loc)
	}
	if dir == "" {
		return nil, fmt.Errorf("tensor %q: external data %q but no directory was given to read it from", t.GetName(), loc)
	}
	path := filepath.Join(dir, loc)
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: external data: %v", t.GetName(), err)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: external data: %v", t.GetName(), err)
	}
	if rel, err := filepath.Rel(realDir, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("tensor %q: external data %q resolves to %s, outside the model's directory", t.GetName(), loc, real)
	}
	st, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %v", t.GetName(), err)
	}
	if !st.Mode().IsRegular() {
		kind := "a device"
		switch m := st.Mode(); {
		case m.IsDir():
			kind = "a directory"
		case m&os.ModeNamedPipe != 0:
			kind = "a named pipe (FIFO)"
		case m&os.ModeSocket != 0:
			kind = "a socket"
		}
		return nil, fmt.Errorf("tensor %q: external data %s is %s, not a regular file", t.GetName(), path, kind)
	}
	if want > st.Size() || offset > st.Size()-want {
		return nil, fmt.Errorf("tensor %q: external data %s: offset %d + %d bytes past the end (%d bytes)", t.GetName(), path, offset, want, st.Size())
	}
	if err := limits.Check(0, fmt.Sprintf("tensor %q's external data", t.GetName()), want); err != nil {
		return nil, err
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %v", t.GetName(), err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() < offset+want {
		return nil, fmt.Errorf("tensor %q: external data %s changed while it was read", t.GetName(), path)
	}
	buf := make([]byte, want)
	if _, err := f.ReadAt(buf, offset); err != nil {
		return nil, fmt.Errorf("tensor %q: reading %s: %v", t.GetName(), path, err)
	}
	return buf, nil
}
