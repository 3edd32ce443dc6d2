package imageio

import (
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/limits"
)

// TestTinyCropIsRefusedByTheBudget: a crop share that parses (0 < F ≤ 1)
// but makes ⌊S/F⌋ overflow an int (1e-300, the smallest subnormal) or
// asks for an absurd shorter side is refused as a resize over the memory
// budget, one line, with positive sizes: ⌊S/F⌋ is not converted from an
// out-of-range float (on amd64 that gave -9223372036854775808 and "the
// size must be positive").
func TestTinyCropIsRefusedByTheBudget(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for _, crop := range []string{"1e-300", "5e-324", "1e-20", "1e-9"} {
		_, err := Preprocess(img, "timm:crop="+crop, []int{1, 3, 64, 64})
		var le *limits.Error
		if err == nil || !errors.As(err, &le) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "to -") || strings.Contains(err.Error(), "×-") {
			t.Errorf("crop=%s: got %v, want one line saying the resize is over the memory budget", crop, err)
		}
	}
}
