package fielderr

import "fmt"

// Error is a bad field. Error reads "FIELD VALUE: what is wrong and what
// is allowed", or "FIELD: ..." when there is no value to quote; a command
// line puts "--" before it to name its flag.
type Error struct {
	Field string // the field's name, as the command line's flag names it
	Value string // as given; "" when the message says it
	Err   error  // what is wrong and what is allowed
}

func (e *Error) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Err.Error()
	}
	return e.Field + " " + e.Value + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf is an Error of field with no value, its message formatted.
func Errorf(field, format string, args ...any) error {
	return &Error{Field: field, Err: fmt.Errorf(format, args...)}
}
