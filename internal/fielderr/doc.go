// Package fielderr is the error a library returns for one bad input field
// — a probe's destination, an explain's interval, a model's range, an
// attack's setting — so that a command line can name the flag it came
// from and the serve page its control, with errors.As, whatever package
// refused it.
package fielderr
