// Package probe asks this machine's kernel which source ports it chooses.
// Run opens its own listeners on loopback, connects to them with each
// request kind (connect, bind, udp), closes every connection before the
// next (by a reset unless asked otherwise, so nothing is left in
// TIME_WAIT) and records the port the kernel gave each one, together with
// the kernel's port rules where it can read them (Linux).
//
// Everything here talks only to loopback (127.0.0.0/8 and ::1) and
// refuses any other address. Whether the ports match a model is for
// package fit to say.
package probe
