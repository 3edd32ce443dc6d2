package labels

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImageNet(t *testing.T) {
	n := ImageNet()
	if len(n) != 1000 || n[0] != "tench" || n[999] != "toilet tissue" {
		t.Fatalf("%d names, first %q, last %q", len(n), n[0], n[len(n)-1])
	}
	f, err := Fit(n, 1001)
	if err != nil || f[0] != "background" || f[1] != "tench" {
		t.Errorf("1001 classes: %v %v", err, f[:2])
	}
	if _, err := Fit(n, 10); err == nil || !strings.Contains(err.Error(), "1000 labels for an output of 10 classes") {
		t.Errorf("10 classes: %v", err)
	}
}

func TestRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "l.txt")
	os.WriteFile(p, []byte("cat\r\ndog\n"), 0o644)
	n, err := Read(p)
	if err != nil || len(n) != 2 || n[1] != "dog" {
		t.Errorf("got %q %v", n, err)
	}
	os.WriteFile(p, nil, 0o644)
	if _, err := Read(p); err == nil {
		t.Error("empty file: no error")
	}
}

// TestReadRefusesDevices: a label file that is a device is refused before
// it is read (-labels /dev/zero read until Go's fatal out-of-memory error).
func TestReadRefusesDevices(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	if _, err := Read("/dev/zero"); err == nil || !strings.Contains(err.Error(), "label file /dev/zero is a device") {
		t.Errorf("/dev/zero: %v", err)
	}
}
