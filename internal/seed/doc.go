// Package seed derives the seeds of portsim's random components from one
// seed, so that each component draws from its own stream and adding a
// component leaves the others' draws unchanged.
//
// Every derivation ends in Mix64, SplitMix64's finaliser, so nearby inputs
// (seeds 1 and 2, streams 3 and 4) give unrelated outputs. A component
// known by name (a strategy spec and request kind in a simulated run) gets
// Named(run seed, name); a component that needs several independent words
// (a strategy's hash keys and random sources) takes Word(seed, stream,
// purpose) for each.
//
// The derivations are part of portsim's output: the same seed must give the
// same ports in every version, so the tests pin their values.
package seed
