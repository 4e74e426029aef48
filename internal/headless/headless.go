// Package headless takes screenshots of local HTML pages with headless
// Chromium, for tests that check a page really draws. It only ever opens
// file:// pages and starts Chromium with its background networking off.
package headless

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
)

// Chromium returns the path of a Chromium binary on PATH, or "".
func Chromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Screenshot renders the local page at width × height pixels with the
// Chromium at bin, using a fresh profile in scratch, and returns the
// decoded image. The PNG is left at scratch/shot.png.
func Screenshot(ctx context.Context, bin, page, scratch string, width, height int) (image.Image, error) {
	abs, err := filepath.Abs(page)
	if err != nil {
		return nil, err
	}
	shot := filepath.Join(scratch, "shot.png")
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run",
		"--user-data-dir="+filepath.Join(scratch, "profile"),
		"--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", width, height),
		"file://"+abs)
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("chromium did not finish in time:\n%s", out)
	}
	if err != nil {
		return nil, fmt.Errorf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		return nil, fmt.Errorf("no screenshot: %v\nchromium said:\n%s", err, out)
	}
	defer f.Close()
	return png.Decode(f)
}

// NonBackground is the share of pixels that differ from the most common
// colour: near 0 for a blank page.
func NonBackground(img image.Image) float64 {
	b := img.Bounds()
	counts := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	total := b.Dx() * b.Dy()
	if total == 0 {
		return 0
	}
	return float64(total-top) / float64(total)
}
