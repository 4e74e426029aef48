package fielderr_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/portsim/portsim/internal/fielderr"
)

func TestError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&fielderr.Error{Field: "dst", Value: "10.0.0.1", Err: errors.New("not a loopback address")}, "dst 10.0.0.1: not a loopback address"},
		{&fielderr.Error{Field: "count", Err: errors.New("0 is too small")}, "count: 0 is too small"},
		{fielderr.Errorf("interval", "%v is negative", -1), "interval: -1 is negative"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q; want %q", got, tc.want)
		}
	}
	wrapped := fmt.Errorf("run: %w", &fielderr.Error{Field: "src", Err: io.EOF})
	var fe *fielderr.Error
	if !errors.As(wrapped, &fe) || fe.Field != "src" || !errors.Is(wrapped, io.EOF) {
		t.Errorf("errors.As/Is through a wrap: %v, %v", fe, errors.Is(wrapped, io.EOF))
	}
}
