package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Exit statuses. A usage error is the user's to fix (a flag, an argument, a
// command name); anything else that goes wrong at run time is a failure.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitSIGINT  = 130 // stopped by Ctrl-C: what was done is written, marked partial
)

// usageError is bad input from a person. Its message names the flag or
// argument and what is allowed; the CLI prints it with a pointer to the
// help that explains it and exits 2.
type usageError struct {
	err  error
	help string // the command that shows the relevant help, e.g. "portsim explain --help"
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error. By convention the message starts with the
// flag it is about: "--count: 0 is too small; want 1 to 10000".
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// flagError wraps a validation error from a library parser (allocator's
// ParseRange, strategies.New) with the flag it came from. A scenario
// field's error already starts with the field's name ("rate: ..."), which
// the flag's name replaces rather than repeats.
func flagError(flag string, err error) error {
	if rest, ok := strings.CutPrefix(err.Error(), flag+": "); ok {
		return &usageError{err: fmt.Errorf("--%s: %s", flag, rest)}
	}
	return &usageError{err: fmt.Errorf("--%s: %w", flag, err)}
}

// parseError turns pflag's parse errors into usage errors with plainer words
// for the commonest case, a value of the wrong type.
func parseError(err error) error {
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		f := iv.GetFlag()
		return usagef("--%s: %q is not %s", f.Name, iv.GetValue(), typeWords(f.Value.Type()))
	}
	return &usageError{err: err}
}

// typeWords says what a flag of a pflag type accepts.
func typeWords(typ string) string {
	switch typ {
	case "int", "int64", "int32":
		return "a whole number"
	case "uint", "uint64", "uint32":
		return "a whole number ≥ 0"
	case "duration":
		return "a duration such as 1s, 250ms or 2m"
	case "bool":
		return "true or false"
	case "float64", "float32":
		return "a number"
	}
	return "a " + typ
}

// exitCode maps run's error to the process exit status.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, errInterrupted):
		return exitSIGINT
	}
	return exitFailure
}
