package runtime

// rowMajor reports whether v's strides are those of its shape in row-major
// order (axes of size 1 may have any stride).
func (v *view) rowMajor() bool {
	s := 1
	for i := v.rank - 1; i >= 0; i-- {
		if v.shape[i] != 1 && v.stride[i] != s {
			return false
		}
		s *= v.shape[i]
	}
	return true
}

// concatRowMajor is concat when every input and the output are row-major
// (a detector's per-map [N, anchors, K] heads): for each index before the
// axis, each input's contiguous block in turn. It reports false, doing
// nothing, otherwise.
func concatRowMajor(in []view, out view, axis int) bool {
	if !out.rowMajor() {
		return false
	}
	for i := range in {
		if !in[i].rowMajor() {
			return false
		}
	}
	outer := 1
	for i := 0; i < axis; i++ {
		outer *= out.shape[i]
	}
	pos := 0
	for o := 0; o < outer; o++ {
		for i := range in {
			blk := 1
			for d := axis; d < in[i].rank; d++ {
				blk *= in[i].shape[d]
			}
			copy(out.data[pos:pos+blk], in[i].data[o*blk:(o+1)*blk])
			pos += blk
		}
	}
	return true
}
