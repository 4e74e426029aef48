package probe

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
)

// A close-fin probe that would leave more than half the range in
// TIME_WAIT is refused, saying why and what to do instead (issue 12:
// --count 10000 --close fin --kind connect,bind left 51,440 sockets in
// TIME_WAIT, and every program's bind(addr, 0) failed for a minute).
func TestCheckTimeWait(t *testing.T) {
	linux := Kernel{Known: true, Range: allocator.LinuxRange} // 28,232 ports
	small := Kernel{Known: true, Range: allocator.Range{Lo: 40000, Hi: 40999}}
	tcp2 := []allocator.Kind{allocator.Connect, allocator.Bind}
	for _, tc := range []struct {
		name    string
		c       Config
		dsts    int
		k       Kernel
		refused bool
	}{
		{"issue 12's", Config{Count: 10000, Close: CloseFIN, Kinds: tcp2}, 4, linux, true},
		{"rst leaves none", Config{Count: 10000, Close: CloseRST, Kinds: tcp2}, 4, linux, false},
		{"udp has no TIME_WAIT", Config{Count: 10000, Close: CloseFIN, Kinds: []allocator.Kind{allocator.UDP}}, 16, linux, false},
		{"the default count", Config{Count: 1000, Close: CloseFIN, Kinds: Kinds}, 4, linux, false},
		{"half the range", Config{Count: 14116, Close: CloseFIN, Kinds: []allocator.Kind{allocator.Connect}}, 1, linux, false},
		{"over half", Config{Count: 14117, Close: CloseFIN, Kinds: []allocator.Kind{allocator.Connect}}, 1, linux, true},
		{"a small range", Config{Count: 300, Close: CloseFIN, Kinds: tcp2}, 1, small, true},
		{"unknown kernel: Linux's default", Config{Count: 4000, Close: CloseFIN, Kinds: tcp2}, 2, Kernel{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkTimeWait(tc.c, tc.dsts, tc.k)
			if (err != nil) != tc.refused {
				t.Fatalf("error %v; want refused %v", err, tc.refused)
			}
			var fe *fielderr.Error
			if err != nil && (!errors.As(err, &fe) || fe.Field != "count" || !strings.Contains(err.Error(), "TIME_WAIT") || !strings.Contains(err.Error(), "close rst")) {
				t.Errorf("error %q; want a count fielderr.Error naming TIME_WAIT and close rst", err)
			}
		})
	}
}

// When the kernel runs out of ports, the probe's error says why.
func TestErrNoPorts(t *testing.T) {
	k := Kernel{Known: true, Range: allocator.LinuxRange}
	for _, errno := range []syscall.Errno{syscall.EADDRNOTAVAIL, syscall.EADDRINUSE} {
		err := errNoPorts(os.NewSyscallError("connect", errno), k)
		if !errors.Is(err, errno) || !strings.Contains(err.Error(), "no free port in the port range 32768-60999") || !strings.Contains(err.Error(), "TIME_WAIT") {
			t.Errorf("%v: %v", errno, err)
		}
	}
	if err := errNoPorts(syscall.ECONNREFUSED, k); err != syscall.ECONNREFUSED {
		t.Errorf("ECONNREFUSED became %v", err)
	}
}
