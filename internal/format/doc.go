// Package format writes the numbers portsim shows people — percentages,
// durations, counts of things — one way everywhere: the command line, the
// report, the verdicts and the scenario's own texts.
//
// Each function takes the number of digits its caller shows rather than
// choosing one, so a table with two decimals and a sentence with one share
// the code and keep their output. None of them handles NaN or infinities
// specially: callers that can meet them (an empty run) decide what to show.
package format
