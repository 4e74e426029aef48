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
// A scenario may put its hosts behind a gateway (the gateway, hosts and
// public-ips fields): hosts internal hosts, each running the strategy with
// its own tables and seeds, take the arrivals in turn, and a translator
// from strategies.NewNAT maps each flow to a public address and port
// (package gateway). The result then pools every host's figures and adds
// the gateway's (StrategyResult.Gateway): failures under the product's
// name, insert_failed from the confirm race, ports in use per public
// address and per host over time, the busiest destination against its
// limit, log records, and what a server outside sees of the public ports.
// One host behind a gateway picks exactly the ports it picks without one.
//
// Picks is the other way to run a strategy, the one 'portsim explain'
// shows: no workload, just one strategy picking ports in a row on a fresh
// socket table, every step of each choice traced (NewPicks, Picks.All).
package sim
