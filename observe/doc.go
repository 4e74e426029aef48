// Package observe checks portsim's models against the real world: it asks
// this machine's kernel for ports over loopback (probe), reads and writes
// packet captures (pcap, pcapng) and CSV exports of connection attempts,
// and says which strategy or OS profile best explains a host's ports
// (analyze).
//
// Everything here that touches a network talks only to loopback
// (127.0.0.0/8 and ::1) and refuses any other address.
package observe
