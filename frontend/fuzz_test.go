package frontend

import (
	"strings"
	"testing"

	"github.com/mnc-go/mnc/internal/fuzzcap"
)

// FuzzParse: no description, however malformed, makes the parser or the
// builder panic; every failure is an error that starts with the file name.
func FuzzParse(f *testing.F) {
	f.Add(tinyDesc)
	f.Add("model m\ninput 3x16x16\nconv k=3 out=8 s=2\nir t=6 c=8 n=2\nbneck k=5 exp=16 out=8 se=1 nl=HS s=2\npool\nfc out=4 nl=RE\nfc\n")
	f.Add("model m\ninput 1x1x1\nconv k=2 out=1x s=9 groups=1\n")
	f.Add("model m\ninput 3x8x8\nround floor\nwidth 0.01\ndwsep out=3 n=3\n")
	f.Add(tinyDetector)
	f.Add(v4Desc)
	f.Fuzz(func(t *testing.T, text string) {
		fuzzcap.Run(t, func() {
			if len(text) > 4096 {
				return
			}
			g, err := Parse("f.mnc", strings.NewReader(text))
			if err != nil {
				if !strings.HasPrefix(err.Error(), "f.mnc") {
					t.Fatalf("error without the file name: %v", err)
				}
				return
			}
			if err := g.Verify(); err != nil {
				t.Fatalf("parsed graph does not verify: %v", err)
			}
		})
	})
}
