// Package observe checks portsim's models against the real world: it asks
// this machine's kernel for ports over loopback (probe) and says which
// strategy or OS profile best explains a host's ports in a capture
// (analyze); package capture reads and writes the captures.
//
// Everything here that touches a network talks only to loopback
// (127.0.0.0/8 and ::1) and refuses any other address.
package observe
