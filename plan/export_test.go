package plan

import "io"

// EncodeUnchecked writes p as a well-formed file (right checksum) without
// validating it: what an attacker who edits a plan file and fixes its CRC
// can produce.
func EncodeUnchecked(w io.Writer, p *Plan) error { return writePlan(w, p) }
