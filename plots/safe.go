package plots

import (
	"math"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// farOff bounds drawing coordinates: well beyond the largest canvas
// (maxSide), small enough for a rasterizer to scan quickly.
const farOff = 4 * maxSide

// safeCanvas is the last guard, between the recorded drawing and the real
// canvas. Rasterizers do not panic on a non-finite or astronomically
// distant point — they hang, scanning from it, which no recover can stop.
// So paths and text with a non-finite point are dropped, and distant
// points are pulled in to farOff, where the result is off the canvas
// anyway.
type safeCanvas struct{ vg.Canvas }

func (c safeCanvas) Stroke(p vg.Path) {
	if p, ok := tame(p); ok {
		c.Canvas.Stroke(p)
	}
}

func (c safeCanvas) Fill(p vg.Path) {
	if p, ok := tame(p); ok {
		c.Canvas.Fill(p)
	}
}

func (c safeCanvas) FillString(f font.Face, pt vg.Point, s string) {
	if finite(pt.X) && finite(pt.Y) && math.Abs(float64(pt.X)) < float64(farOff) && math.Abs(float64(pt.Y)) < float64(farOff) {
		c.Canvas.FillString(f, pt, s)
	}
}

func (c safeCanvas) Translate(pt vg.Point) {
	if finite(pt.X) && finite(pt.Y) {
		c.Canvas.Translate(pt)
	}
}

// tame returns p with every point finite and within farOff, copying it
// only when a point had to move; ok is false when p cannot be drawn.
func tame(p vg.Path) (vg.Path, bool) {
	far := false
	for _, comp := range p {
		if comp.Type == vg.CloseComp {
			continue
		}
		if comp.Type == vg.ArcComp && !(finite(comp.Radius) && comp.Radius < farOff && isFinite(comp.Start) && isFinite(comp.Angle)) {
			return nil, false
		}
		if !finite(comp.Pos.X) || !finite(comp.Pos.Y) {
			return nil, false
		}
		far = far || clampLen(comp.Pos.X) != comp.Pos.X || clampLen(comp.Pos.Y) != comp.Pos.Y
		for _, pt := range comp.Control {
			if !finite(pt.X) || !finite(pt.Y) {
				return nil, false
			}
			far = far || clampLen(pt.X) != pt.X || clampLen(pt.Y) != pt.Y
		}
	}
	if !far {
		return p, true
	}
	q := make(vg.Path, len(p))
	for i, comp := range p {
		q[i] = comp
		q[i].Pos = vg.Point{X: clampLen(comp.Pos.X), Y: clampLen(comp.Pos.Y)}
		if comp.Control != nil {
			q[i].Control = make([]vg.Point, len(comp.Control))
			for j, c := range comp.Control {
				q[i].Control[j] = vg.Point{X: clampLen(c.X), Y: clampLen(c.Y)}
			}
		}
	}
	return q, true
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func finite(l vg.Length) bool { return isFinite(float64(l)) }

func clampLen(l vg.Length) vg.Length { return max(-farOff, min(l, farOff)) }
