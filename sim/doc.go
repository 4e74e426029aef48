// Package sim is a deterministic discrete-event simulator of a client host
// handing out local ports.
//
// A Scenario describes the workload (arrivals, lifetimes, destinations,
// request kinds, who closes first) and the host (port range, reserved
// ports, TIME_WAIT and its reuse policy). Run replays the same workload —
// the same arrivals, destinations and lifetimes, drawn from the scenario's
// seed alone — against each strategy, so differences between strategies
// come from the strategies (common random numbers). Each strategy's own
// randomness is seeded from the scenario seed and its spec, so adding a
// strategy to a run leaves the others' results unchanged.
//
// The clock is an integer time.Duration; events are ordered by (time,
// sequence number). Same scenario and seed give byte-identical results,
// whatever the number of workers.
//
// Metrics follow the project vocabulary: probes, collisions, failures,
// reuse intervals, TIME_WAIT reuses, occupancy, port usage and
// predictability. Time series are sampled at a fixed simulated step so
// memory stays bounded however long the run.
//
// Picks is the other way to run a strategy, the one 'portsim explain'
// shows: no workload, just one strategy picking ports in a row on a fresh
// socket table, every step of each choice traced (NewPicks, Picks.All).
package sim
