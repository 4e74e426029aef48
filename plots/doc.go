// Package plots draws charts from simulation results with gonum/plot. It
// simulates nothing: every chart reads a sim.Result (or, for the capacity
// curve, a sim.SweepResult) and nothing else, except the port signature,
// which reads PortSeries, a small interface in the manner of gonum's
// XYer: Samples gives a result's, and ports seen on a live kernel adapt
// to it as easily.
//
// All returns a run's charts in report order, Capacity the sweep's:
//
//  1. port-signature: source port against time, one panel per strategy,
//     coloured by destination (from Samples)
//  2. collisions: collision probability and mean probes against
//     occupancy, with the analytic curve for random (from ByOccupancy)
//  3. probes: P(probes ≥ k), log-log (from ProbesHist)
//  4. reuse: empirical CDF of the reuse interval, log time, TIME_WAIT
//     marked (from ReuseSample and the "time-wait" scenario field)
//  5. capacity: failure rate against connection rate, per strategy and
//     request kind, the range / TIME_WAIT limit marked (from a sweep)
//  6. occupancy: open and TIME_WAIT sockets over time, stacked, failures
//     marked (from Occupancy)
//  7. port-usage: allocations across the range, with the uniformity
//     p-value (from PortUsage)
//  8. predictability: bits of entropy per strategy over the DNS-OARC
//     porttest rating bands (from EntropySameDst, EntropyCrossDst)
//
// Runs behind a gateway add two charts, read through small interfaces in
// the same manner: GatewayPorts draws a GatewaySeries (GatewaySeriesOf
// adapts a result) — public ports in use per public address over time,
// the busiest destination's connections and their limit — and
// GatewayCapacity draws a sweep's gateway rows: the new connections per
// second the gateway carried against the swept value, with the rate
// offered and one destination's ceiling (public addresses × connections
// per destination, over the hold).
//
// Each Chart has a Name for file names, a Title, and a Caption of two or
// three plain sentences for a learner, which also says when data were
// thinned. Save writes PNG, SVG or PDF by file extension; Render writes to
// any io.Writer at any size. The default size, 8 × 5 inches (taller for
// small multiples), is 800 pixels wide at the PNG resolution of 100 dpi,
// and text sizes are chosen to read well there.
//
// Colours come from the Okabe–Ito palette, which stays distinguishable
// under the common kinds of colour blindness, and every series also has
// its own dash pattern and marker shape.
//
// # Edge cases
//
// gonum/plot panics on zeros or negatives on a log axis, on an empty or
// inverted axis range and on NaN in most plotters. Results hit all of
// these (a strategy that never reuses a port, a run with one sample, a
// histogram of zeros), so every chart goes through one guard: points that
// cannot be placed are dropped, a panel left with no points shows a "no
// data" note, axis ranges are repaired before drawing, and any panic that
// still occurs is recovered and drawn as a note. Drawing is recorded and
// replayed only on success, so a failed chart never leaves half a drawing
// under its note. No input makes this package panic.
//
// # Speed
//
// Scatter panels hold at most MaxScatterPoints points and stacked areas
// MaxAreaPoints vertices; past that every k-th sample is kept, k the
// smallest that fits, which is deterministic and even over the run. All
// charts of a million-allocation run draw in well under a second (see
// BenchmarkAll).
//
// Output is deterministic: the fonts are embedded in gonum, so the same
// results draw the same PNG bytes. The tests compare each chart with a
// golden image in testdata; run go test -update to rewrite them after a
// deliberate change, and look at them before committing.
package plots
