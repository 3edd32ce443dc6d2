package frontend

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mnc-go/mnc/ir"
)

// Desc is a parsed model description file (see the package documentation
// for the format).
type Desc struct {
	File    string     // for error messages
	Model   string     // graph name
	Input   [3]int     // C, H, W
	Classes int        // output classes
	Width   float64    // width multiplier α
	Round   int        // 0: int(c·α) ("floor"); d > 0: MakeDivisible(c·α, d)
	BNEps   float32    // BatchNorm epsilon
	Act     Activation // default nonlinearity of rows without nl=
	Seed    uint64     // weight seed
	Rows    []Row
}

// Row is one layer row: its kind, its fields as written, and its line.
type Row struct {
	Line   int
	Kind   string
	Fields map[string]string
}

// rowFields lists each row kind's fields; the builder reads them.
var rowFields = map[string][]string{
	"conv":    {"k", "out", "s", "groups", "nl", "scale", "tap"},
	"dwsep":   {"k", "out", "s", "n", "nl", "scale", "tap"},
	"ir":      {"t", "c", "n", "s", "k", "se", "nl", "scale", "tap"},
	"bneck":   {"k", "exp", "out", "se", "nl", "s", "scale", "flat", "tap"},
	"uib":     {"start", "mid", "e", "out", "s", "n", "nl", "scale", "tap"},
	"fused":   {"k", "e", "out", "s", "n", "nl", "scale", "tap"},
	"extra":   {"out", "k", "s", "nl", "tap"},
	"stage":   {}, // stage NAME: one word, no fields
	"pool":    {},
	"dropout": {"p"},
	"fc":      {"out", "nl", "scale"},
	"softmax": {},
	"ssdhead": {"name", "out", "anchors", "k", "nl", "maps", "output"},
}

// fieldAliases lets rows use either spelling of a paper's column.
var fieldAliases = map[string]string{"c": "out", "out": "c", "stride": "s", "kernel": "k", "act": "nl", "t": "e", "e": "t", "middle": "mid"}

func rowKinds() string {
	var k []string
	for n := range rowFields {
		k = append(k, n)
	}
	sort.Strings(k)
	return strings.Join(k, ", ")
}

// posError is an error at file:line, naming the field when there is one.
type posError struct {
	file  string
	line  int
	field string
	msg   string
}

func (e *posError) Error() string {
	pos := e.file
	if e.line > 0 {
		pos = fmt.Sprintf("%s:%d", e.file, e.line)
	}
	if e.field != "" {
		return fmt.Sprintf("%s: field %q: %s", pos, e.field, e.msg)
	}
	return fmt.Sprintf("%s: %s", pos, e.msg)
}

// ParseFile reads a description file and builds its graph with
// deterministic random weights (BatchNorm statistics uncalibrated: see
// models.Calibrate).
func ParseFile(path string) (*ir.Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(filepath.Base(path), f)
}

// Parse reads a description from r (name is used in error messages) and
// builds its graph with deterministic random weights.
func Parse(name string, r io.Reader) (*ir.Graph, error) {
	d, err := ParseDesc(name, r)
	if err != nil {
		return nil, err
	}
	return d.Build(RandomWeights)
}

// ParseDesc reads a description without building it.
func ParseDesc(name string, r io.Reader) (*Desc, error) {
	d := &Desc{File: name, Width: 1, Round: 8, BNEps: 1e-5, Act: ReLU6, Classes: 1000}
	seen := map[string]int{}
	seedSet := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		words := strings.Fields(text)
		if len(words) == 0 {
			continue
		}
		fail := func(field, format string, args ...any) error {
			return &posError{file: name, line: line, field: field, msg: fmt.Sprintf(format, args...)}
		}
		key := strings.ToLower(words[0])
		if _, isRow := rowFields[key]; isRow {
			if d.Model == "" {
				return nil, fail("", "layer row %q before the \"model\" line", key)
			}
			var row Row
			var err error
			if key == "stage" {
				if len(words) != 2 || !validName(words[1]) {
					return nil, fail("", "stage: want one name of letters, digits, '_', '-' and '.' (the prefix of the layer names that follow), got %q", strings.Join(words[1:], " "))
				}
				row = Row{Kind: key, Fields: map[string]string{"name": words[1]}}
			} else if row, err = parseRow(key, words[1:], fail); err != nil {
				return nil, err
			}
			row.Line = line
			if len(d.Rows) >= MaxLayers {
				return nil, fail("", "more than %d layer rows", MaxLayers)
			}
			d.Rows = append(d.Rows, row)
			continue
		}
		if !isHeader(key) {
			return nil, fail("", "unknown line %q (headers: %s; rows: %s)", words[0], strings.Join(headers, ", "), rowKinds())
		}
		if len(d.Rows) > 0 {
			return nil, fail(key, "header after the first layer row (put headers first)")
		}
		if prev, ok := seen[key]; ok {
			return nil, fail(key, "given twice (first on line %d)", prev)
		}
		seen[key] = line
		if key != "model" && d.Model == "" {
			return nil, fail(key, "the first line must be \"model NAME\"")
		}
		if len(words) != 2 {
			return nil, fail(key, "want one value, got %d", len(words)-1)
		}
		if err := d.setHeader(key, words[1], fail); err != nil {
			return nil, err
		}
		seedSet = seedSet || key == "seed"
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if d.Model == "" {
		return nil, &posError{file: name, msg: `missing the "model NAME" line`}
	}
	if _, ok := seen["input"]; !ok {
		return nil, &posError{file: name, msg: `missing the "input CxHxW" line`}
	}
	if len(d.Rows) == 0 {
		return nil, &posError{file: name, msg: "no layer rows"}
	}
	if !seedSet {
		d.Seed = SeedOf(d.Model)
	}
	return d, nil
}

var headers = []string{"model", "input", "classes", "width", "round", "bn_eps", "nl", "seed"}

func isHeader(k string) bool {
	for _, h := range headers {
		if h == k {
			return true
		}
	}
	return false
}

// validName reports whether v is a non-empty name of letters, digits, '_',
// '-' and '.' (model, stage, tap, head and output names).
func validName(v string) bool {
	for _, r := range v {
		if !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return v != ""
}

func (d *Desc) setHeader(key, v string, fail func(field, format string, args ...any) error) error {
	switch key {
	case "model":
		if !validName(v) {
			return fail(key, "want a name of letters, digits, '_', '-' and '.', got %q", v)
		}
		d.Model = v
	case "input":
		parts := strings.Split(strings.ToLower(v), "x")
		if len(parts) != 3 {
			return fail(key, "want CxHxW like 3x224x224, got %q", v)
		}
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || n <= 0 || n > 1<<16 {
				return fail(key, "want CxHxW like 3x224x224 with positive sizes, got %q", v)
			}
			d.Input[i] = n
		}
	case "classes":
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 1<<20 {
			return fail(key, "want a positive integer, got %q", v)
		}
		d.Classes = n
	case "width":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 4) {
			return fail(key, "want a width multiplier in (0, 4], got %q", v)
		}
		d.Width = f
	case "round":
		if v == "floor" {
			d.Round = 0
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 256 {
			return fail(key, "want \"floor\" (int(c·width)) or a divisor like 8 (make_divisible), got %q", v)
		}
		d.Round = n
	case "bn_eps":
		f, err := strconv.ParseFloat(v, 32)
		if err != nil || !(f > 0 && f < 1) {
			return fail(key, "want a small positive number like 0.001, got %q", v)
		}
		d.BNEps = float32(f)
	case "nl":
		a, err := ParseActivation(v)
		if err != nil {
			return fail(key, "%v, got %q", err, v)
		}
		d.Act = a
	case "seed":
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fail(key, "want a non-negative integer, got %q", v)
		}
		d.Seed = n
	}
	return nil
}

func parseRow(kind string, words []string, fail func(field, format string, args ...any) error) (Row, error) {
	row := Row{Kind: kind, Fields: map[string]string{}}
	allowed := rowFields[kind]
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		k = strings.ToLower(k)
		if !ok || k == "" || v == "" {
			return row, fail("", "%s: %q is not field=value", kind, w)
		}
		has := func(k string) bool {
			for _, f := range allowed {
				if f == k {
					return true
				}
			}
			return false
		}
		if a, ok := fieldAliases[k]; ok && !has(k) && has(a) {
			k = a
		}
		known := has(k)
		if !known {
			if len(allowed) == 0 {
				return row, fail(k, "%s takes no fields", kind)
			}
			return row, fail(k, "unknown for %s (fields: %s)", kind, strings.Join(allowed, ", "))
		}
		if _, dup := row.Fields[k]; dup {
			return row, fail(k, "given twice")
		}
		row.Fields[k] = v
	}
	return row, nil
}
