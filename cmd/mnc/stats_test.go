package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestStatsText(t *testing.T) {
	var out, errw bytes.Buffer
	if code := realMain([]string{"stats", "mobilenet_v1"}, &out, &errw); code != 0 {
		t.Fatalf("exit %d: %s", code, errw.String())
	}
	for _, want := range []string{"568,740,352", "FLOPs", "1,137,480,704", "4,231,976", "4,209,088", "pointwise 1x1", "94.86"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("mnc stats mobilenet_v1 lacks %q", want)
		}
	}
}

func TestStatsJSON(t *testing.T) {
	var out, errw bytes.Buffer
	if code := realMain([]string{"stats", "v3s", "-json"}, &out, &errw); code != 0 {
		t.Fatalf("exit %d: %s", code, errw.String())
	}
	var r struct {
		MACs   int64 `json:"macs"`
		Params int64 `json:"params"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.MACs != 56_510_400 || r.Params != 2_542_856 {
		t.Errorf("JSON: %+v", r)
	}
}

// A description file gives the same numbers as the built-in model.
func TestStatsDescriptionFile(t *testing.T) {
	var out, errw bytes.Buffer
	if code := realMain([]string{"stats", "../../models/mobilenet_v2.mnc"}, &out, &errw); code != 0 {
		t.Fatalf("exit %d: %s", code, errw.String())
	}
	if !strings.Contains(out.String(), "300,774,272") || !strings.Contains(out.String(), "3,504,872") {
		t.Errorf("mnc stats mobilenet_v2.mnc:\n%s", out.String())
	}
}

func TestStatsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"stats"}, "want exactly one MODEL"},
		{[]string{"stats", "mobilenet_v9"}, `unknown model "mobilenet_v9"`},
		{[]string{"stats", "-bogus", "v1"}, "bogus"},
	} {
		var out, errw bytes.Buffer
		if code := realMain(c.args, &out, &errw); code == 0 || !strings.Contains(errw.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want non-zero and %q", c.args, code, errw.String(), c.want)
		}
	}
}
