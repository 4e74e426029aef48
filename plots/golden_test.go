package plots

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/cmpimg"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata")

// goldenDelta is how far (YIQ, normalized) a pixel may drift from the
// golden image: enough for antialiasing differences between platforms,
// far too little for a missing line, label or bar.
const goldenDelta = 0.05

// TestGolden draws every chart of the fixed results as PNG and compares it
// with testdata/NAME_golden.png. Run with -update to rewrite the goldens
// after a deliberate change, and look at them before committing.
func TestGolden(t *testing.T) {
	charts := append(All(fixture()), Capacity(sweepFixture()))
	if len(charts) != 8 {
		t.Fatalf("got %d charts; want 8", len(charts))
	}
	for _, c := range charts {
		t.Run(c.Name, func(t *testing.T) { checkGolden(t, c) })
	}
}

// checkGolden draws c as PNG at its own size and compares it with
// testdata/NAME_golden.png; -update rewrites the golden instead.
func checkGolden(t *testing.T, c *Chart) {
	t.Helper()
	var got bytes.Buffer
	if err := c.Render(&got, "png", c.Width, c.Height); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", c.Name+"_golden.png")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	ok, err := cmpimg.EqualApprox("png", got.Bytes(), want, goldenDelta)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		msg := "set PLOTS_KEEP_GOT=1 to keep the new image for a look"
		if os.Getenv("PLOTS_KEEP_GOT") != "" {
			out := filepath.Join(os.TempDir(), c.Name+"_got.png")
			if err := os.WriteFile(out, got.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			msg = "the new image is " + out
		}
		t.Errorf("%s differs from %s; %s, or run go test -update if the change is deliberate", c.Name, golden, msg)
	}
}
