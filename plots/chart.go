package plots

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Default chart size: 8 × 5 inches, which at DPI is 800 × 500 pixels, the
// width the HTML report shows charts at.
const (
	DefaultWidth  = 8 * vg.Inch
	DefaultHeight = 5 * vg.Inch
)

// DPI is the resolution of PNG output: DefaultWidth comes out 800 pixels
// wide.
const DPI = 100

// maxSide bounds each side of a rendered chart, so that a mistyped size
// cannot ask for gigabytes of pixels.
const maxSide = 50 * vg.Inch

// Formats lists the output formats, as Render spells them; Save takes the
// same names as file extensions.
var Formats = []string{"png", "svg", "pdf"}

// Chart is one figure drawn from simulation results, ready to be rendered
// in any of the Formats, as often as needed. Charts are built by All,
// Capacity and the functions named after each chart; the zero Chart draws
// a "no data" note. Drawing settles the chart's axes in place, so one
// Chart must not be drawn from two goroutines at once.
type Chart struct {
	// Name is a short file-name-safe identifier, such as "port-signature".
	Name string
	// Title is the heading drawn at the top of the chart.
	Title string
	// Caption is the one text under the chart: its axes and marks, how to
	// read it and what its patterns mean, in plain sentences, including
	// any thinning of the data. It opens with the words of the description
	// the chart is drawn from, so it cannot describe another chart.
	Caption string
	// Width and Height are the size Save draws at; DefaultWidth and
	// DefaultHeight when zero.
	Width, Height vg.Length

	desc description // its marks and axes, which the caption opens with
	fig  *figure
	err  error // why fig could not be built; drawn as a note
}

// build makes a chart drawn as d describes, running f to fill in its
// figure and caption. A panic in f (a bug, or data no guard foresaw)
// becomes the chart's error, which it draws as a note: a report with one
// broken chart still has the others.
func build(name, title string, d description, width, height vg.Length, f func(c *Chart) *figure) (c *Chart) {
	c = &Chart{Name: name, Title: title, Width: width, Height: height, desc: d}
	defer func() {
		if r := recover(); r != nil {
			c.fig = nil
			c.err = panicError(r)
		}
	}()
	c.fig = f(c)
	return c
}

func panicError(r any) error { return fmt.Errorf("plots: %v", r) }

// Draw draws the chart onto dc. It never panics: if the chart cannot be
// drawn, it draws a note saying why in its place and returns that reason.
// Drawing is recorded first and replayed onto dc only when it succeeded,
// so a failure leaves no half-drawn chart (or unbalanced transforms)
// under the note.
func (c *Chart) Draw(dc draw.Canvas) (err error) {
	if c == nil {
		drawNote(dc, "", "no chart")
		return errNoChart
	}
	if c.err != nil {
		drawNote(dc, c.Title, "could not draw this chart: "+c.err.Error())
		return c.err
	}
	rec := &recorder.Canvas{}
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = panicError(r)
			}
		}()
		fig := c.fig
		if fig == nil {
			fig = &figure{title: c.Title}
		}
		fig.draw(draw.Canvas{Canvas: rec, Rectangle: dc.Rectangle})
	}()
	if err == nil {
		err = rec.ReplayOn(safeCanvas{dc.Canvas})
	}
	if err != nil {
		drawNote(dc, c.Title, "could not draw this chart: "+err.Error())
	}
	return err
}

// Render draws the chart at width × height in format ("png", "svg" or
// "pdf") and writes it to w. PNG is drawn at DPI dots per inch. A chart
// that cannot be drawn still renders, as a note (see Draw); the error is
// for bad arguments and failed writes.
func (c *Chart) Render(w io.Writer, format string, width, height vg.Length) error {
	if err := checkSize(width, height); err != nil {
		return err
	}
	var cw vg.CanvasWriterTo
	switch strings.ToLower(format) {
	case "png":
		cw = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(DPI))}
	case "svg":
		cw = vgsvg.New(width, height)
	case "pdf":
		cw = vgpdf.New(width, height)
	default:
		return fmt.Errorf("plots: format %q is not one of %s", format, strings.Join(Formats, ", "))
	}
	c.Draw(draw.New(cw))
	_, err := cw.WriteTo(w)
	return err
}

func checkSize(width, height vg.Length) error {
	for _, s := range []struct {
		name string
		v    vg.Length
	}{{"width", width}, {"height", height}} {
		if !(s.v > 0) || s.v > maxSide || math.IsNaN(float64(s.v)) {
			return fmt.Errorf("plots: %s %.4gin is not in (0, %gin]", s.name, float64(s.v/vg.Inch), float64(maxSide/vg.Inch))
		}
	}
	return nil
}

// Save renders the chart at its size into path, in the format its
// extension names (.png, .svg or .pdf). It writes a temporary file next to
// path and renames it, so readers never see a partial chart.
func (c *Chart) Save(path string) (err error) {
	ext := strings.ToLower(filepath.Ext(path))
	format := strings.TrimPrefix(ext, ".")
	if !isFormat(format) {
		if ext == "" {
			ext = "(none)"
		}
		return fmt.Errorf("plots: %s: extension %s is not one of .png, .svg, .pdf", path, ext)
	}
	w, h := c.Width, c.Height
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err := c.Render(bw, format, w, h); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}

func isFormat(f string) bool {
	for _, g := range Formats {
		if f == g {
			return true
		}
	}
	return false
}

// errNoChart is what drawing a nil *Chart reports.
var errNoChart = errors.New("plots: nil chart")
