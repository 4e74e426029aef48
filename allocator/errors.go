package allocator

import (
	"errors"
	"fmt"
)

// ErrAddrNotAvail is the failure to find a usable port: EADDRNOTAVAIL,
// "cannot assign requested address". Match it with errors.Is.
var ErrAddrNotAvail = errors.New("cannot assign requested address (EADDRNOTAVAIL)")

// AllocError reports a failed allocation and how many ports were probed.
type AllocError struct {
	Kind   Kind
	Tuple  Tuple // SrcPort is 0: none was found
	Probes int
	Err    error // ErrAddrNotAvail, or what the strategy returned
}

func (e *AllocError) Error() string {
	return fmt.Sprintf("%s %s: %v after %d probes", e.Kind, e.Tuple, e.Err, e.Probes)
}

func (e *AllocError) Unwrap() error { return e.Err }

// RequestError reports a request the table cannot serve as asked (an
// address family mismatch, a missing address).
type RequestError struct {
	Field  string
	Reason string
}

func (e *RequestError) Error() string { return e.Field + ": " + e.Reason }
