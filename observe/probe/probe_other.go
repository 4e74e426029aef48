//go:build !linux

package probe

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"time"

	"github.com/portsim/portsim/allocator"
)

// readKernel knows the port rules of Linux only; elsewhere they are
// reported unknown and no model comparison is made.
func readKernel() Kernel {
	return Kernel{OS: runtime.GOOS, TWReuse: -1}
}

// dialOnce makes one probe with package net. A connect() probe with a
// source address binds it first, so there the port is chosen at bind (no
// portable IP_BIND_ADDRESS_NO_PORT).
func dialOnce(kind allocator.Kind, src netip.Addr, dst netip.AddrPort, fin bool) (netip.AddrPort, error) {
	d := net.Dialer{Timeout: dialTimeout}
	if kind == allocator.Bind && !src.IsValid() {
		src = netip.MustParseAddr("127.0.0.1")
		if dst.Addr().Is6() {
			src = netip.IPv6Loopback()
		}
	}
	network := "tcp"
	if kind == allocator.UDP {
		network = "udp"
		if src.IsValid() {
			d.LocalAddr = net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0))
		}
	} else if src.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))
	}
	c, err := d.Dial(network, dst.String())
	if err != nil {
		return netip.AddrPort{}, err
	}
	defer c.Close()
	var local netip.AddrPort
	switch a := c.LocalAddr().(type) {
	case *net.TCPAddr:
		local = a.AddrPort()
	case *net.UDPAddr:
		local = a.AddrPort()
	default:
		return netip.AddrPort{}, errors.New("unexpected local address type")
	}
	if tc, ok := c.(*net.TCPConn); ok && !fin {
		tc.SetLinger(0)
	}
	if kind == allocator.UDP {
		c.SetWriteDeadline(time.Now().Add(dialTimeout))
		if _, err := c.Write([]byte("portsim probe")); err != nil {
			return netip.AddrPort{}, err
		}
	}
	return local, nil
}

// bindOptions is Linux's; elsewhere there is nothing to read.
func bindOptions(int) (noPort, reuseAddr int, err error) {
	return 0, 0, errors.New("bind options are read on Linux only")
}
