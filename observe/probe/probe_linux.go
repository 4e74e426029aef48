//go:build linux

package probe

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/portsim/portsim/allocator"
)

// ipBindAddressNoPort is IP_BIND_ADDRESS_NO_PORT (linux/in.h, Linux 4.2),
// which package syscall lacks.
const ipBindAddressNoPort = 24

// procSys is where readKernel reads the sysctls; tests may point it
// elsewhere.
var procSys = "/proc/sys/net/ipv4/"

// readKernel reads the host's port rules from /proc. A value that cannot
// be read is left unknown; the range is the one that matters, and without
// it Known is false.
func readKernel() Kernel {
	k := Kernel{OS: runtime.GOOS, TWReuse: -1}
	if uts, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		k.OS += " " + strings.TrimSpace(string(uts))
	}
	if b, err := os.ReadFile(procSys + "ip_local_port_range"); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 {
			if r, err := allocator.ParseRange(f[0] + "-" + f[1]); err == nil {
				k.Range, k.Known = r, true
			}
		}
	}
	if b, err := os.ReadFile(procSys + "ip_local_reserved_ports"); err == nil {
		if rs, err := allocator.ParseRanges(strings.TrimSpace(string(b))); err == nil {
			k.Reserved = rs
		}
	}
	if b, err := os.ReadFile(procSys + "tcp_tw_reuse"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			k.TWReuse = n
		}
	}
	if b, err := os.ReadFile(procSys + "udp_hash_entries"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			k.UDPHashEntries = max(n, -n)
		}
	}
	return k
}

// dialOnce makes one probe of kind to dst and returns the local address
// and port the kernel gave it. The socket is closed before it returns:
// with fin by a normal close, otherwise by a reset.
func dialOnce(kind allocator.Kind, src netip.Addr, dst netip.AddrPort, fin bool) (netip.AddrPort, error) {
	family := syscall.AF_INET
	if dst.Addr().Is6() {
		family = syscall.AF_INET6
	}
	typ := syscall.SOCK_STREAM
	if kind == allocator.UDP {
		typ = syscall.SOCK_DGRAM
	}
	fd, err := syscall.Socket(family, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("socket", err)
	}
	closed := false
	defer func() {
		if !closed {
			syscall.Close(fd)
		}
	}()

	if typ == syscall.SOCK_STREAM {
		// A blocking connect() honours the send timeout.
		tv := syscall.NsecToTimeval(dialTimeout.Nanoseconds())
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
			return netip.AddrPort{}, os.NewSyscallError("setsockopt SO_SNDTIMEO", err)
		}
		if !fin {
			if err := syscall.SetsockoptLinger(fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0}); err != nil {
				return netip.AddrPort{}, os.NewSyscallError("setsockopt SO_LINGER", err)
			}
		}
	}

	switch kind {
	case allocator.Connect:
		if src.IsValid() {
			// Keep the source address but leave the port to connect(): the
			// path under test.
			if err := syscall.SetsockoptInt(fd, syscall.SOL_IP, ipBindAddressNoPort, 1); err != nil {
				return netip.AddrPort{}, os.NewSyscallError("setsockopt IP_BIND_ADDRESS_NO_PORT", err)
			}
			if err := syscall.Bind(fd, sockaddr(netip.AddrPortFrom(src, 0))); err != nil {
				return netip.AddrPort{}, os.NewSyscallError("bind", err)
			}
		}
	case allocator.Bind:
		if !src.IsValid() {
			src = netip.MustParseAddr("127.0.0.1")
			if family == syscall.AF_INET6 {
				src = netip.IPv6Loopback()
			}
		}
		if v, err := syscall.GetsockoptInt(fd, syscall.SOL_IP, ipBindAddressNoPort); err != nil || v != 0 {
			return netip.AddrPort{}, fmt.Errorf("IP_BIND_ADDRESS_NO_PORT is %d (%v) on a new socket; bind() would not choose the port", v, err)
		}
		if err := syscall.Bind(fd, sockaddr(netip.AddrPortFrom(src, 0))); err != nil {
			return netip.AddrPort{}, os.NewSyscallError("bind", err)
		}
		// bind(ip, 0) must have chosen the port already: that is the kind.
		if a, err := localAddr(fd); err != nil || a.Port() == 0 {
			return netip.AddrPort{}, fmt.Errorf("bind(%v, 0) left the port unset (%v); want it chosen at bind", src, err)
		}
	case allocator.UDP:
		if src.IsValid() {
			if err := syscall.Bind(fd, sockaddr(netip.AddrPortFrom(src, 0))); err != nil {
				return netip.AddrPort{}, os.NewSyscallError("bind", err)
			}
		}
	}

	if err := connect(fd, sockaddr(dst)); err != nil {
		return netip.AddrPort{}, err
	}
	local, err := localAddr(fd)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if kind == allocator.UDP {
		if _, err := syscall.Write(fd, []byte("portsim probe")); err != nil {
			return netip.AddrPort{}, os.NewSyscallError("send", err)
		}
	}
	closed = true
	if err := syscall.Close(fd); err != nil {
		return netip.AddrPort{}, os.NewSyscallError("close", err)
	}
	return local, nil
}

// connect is a blocking connect(2) that survives signals: Go's runtime
// preempts with SIGURG, and an interrupted connect goes on in the kernel.
func connect(fd int, sa syscall.Sockaddr) error {
	err := syscall.Connect(fd, sa)
	for tries := 0; err != nil && tries < 1000; tries++ {
		switch {
		case errors.Is(err, syscall.EINTR), errors.Is(err, syscall.EALREADY):
			err = syscall.Connect(fd, sa)
		case errors.Is(err, syscall.EISCONN):
			return nil
		case errors.Is(err, syscall.EINPROGRESS):
			return fmt.Errorf("connect: no answer within %v", dialTimeout)
		default:
			return os.NewSyscallError("connect", err)
		}
	}
	if err != nil {
		return os.NewSyscallError("connect", err)
	}
	return nil
}

func sockaddr(ap netip.AddrPort) syscall.Sockaddr {
	if a := ap.Addr(); a.Is4() {
		return &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func localAddr(fd int) (netip.AddrPort, error) {
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getsockname", err)
	}
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), nil
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("getsockname: unexpected address %T", sa)
}

// bindOptions reads the two options that would change which port bind()
// gets: IP_BIND_ADDRESS_NO_PORT and SO_REUSEADDR.
func bindOptions(fd int) (noPort, reuseAddr int, err error) {
	if noPort, err = syscall.GetsockoptInt(fd, syscall.SOL_IP, ipBindAddressNoPort); err != nil {
		return 0, 0, err
	}
	reuseAddr, err = syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR)
	return noPort, reuseAddr, err
}
