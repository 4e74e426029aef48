package report

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portsim/portsim/internal/headless"
)

// TestRenderInChromium renders a report in headless Chromium and checks the
// screenshot is not blank: the page must actually draw, not just parse.
// Set PORTSIM_SCREENSHOT=path to keep the screenshot for a look.
func TestRenderInChromium(t *testing.T) {
	bin := headless.Chromium()
	if bin == "" {
		t.Skip("chromium not installed; .ci/run installs it")
	}
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	in := sampleInput()
	// A tiny hand-made figure, so the test needs nothing from plots.
	in.Figures = append(in.Figures, Figure{
		Name: "port-signature", Title: "Hand-made chart", Caption: "Three bars.",
		SVG: []byte(`<svg width="240pt" height="120pt" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="240" height="120" fill="#ffffff" stroke="#000000"/>
<rect x="20" y="60" width="50" height="50" fill="#1f5fa8"/>
<rect x="95" y="30" width="50" height="80" fill="#c33"/>
<rect x="170" y="80" width="50" height="30" fill="#2a8a4a"/>
</svg>`),
	})
	if err := WriteFile(page, in); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	img, err := headless.Screenshot(ctx, bin, page, dir, 1200, 2000)
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	if keep := os.Getenv("PORTSIM_SCREENSHOT"); keep != "" {
		if b, err := os.ReadFile(shot); err == nil {
			os.WriteFile(keep, b, 0o644)
		}
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 1000 {
		t.Errorf("screenshot is %dx%d, want about 1200x2000", b.Dx(), b.Dy())
	}
	if share := headless.NonBackground(img); share <= 0.01 {
		t.Errorf("screenshot looks blank: %.3f%% of pixels differ from the most common colour", 100*share)
	} else {
		t.Logf("%.1f%% of pixels differ from the background", 100*share)
	}
}
