package strategies

import (
	"fmt"
	"strings"
)

// A Stack is the shape of a system's TCP SYN as a passive observer sees
// it, the facts p0f's signatures record: 'run --pcap' writes it into each
// simulated SYN, and package fit compares a host's SYNs with it. The zero
// Stack is no reference signature (the simulators have none).
//
// The values are a system's defaults on Ethernet. Each varies in the
// field (the MSS with the path's MTU, the window and its scale with
// memory and tuning, the options with sysctls), so a comparison weighs
// the initial TTL and the option layout most.
type Stack struct {
	// TTL is the initial IP time to live (IPv6 hop limit): 64, 128 or
	// 255; 0 for no reference signature.
	TTL uint8 `json:"ttl"`
	// DF is the IPv4 don't-fragment flag.
	DF bool `json:"df"`
	// Window is the SYN's receive window in bytes, or, when WindowMSS
	// is not 0, WindowMSS times the MSS (Linux sizes it in segments).
	Window    uint16 `json:"window,omitempty"`
	WindowMSS int    `json:"window_mss,omitempty"`
	// MSS is the maximum segment size option on Ethernet.
	MSS uint16 `json:"mss,omitempty"`
	// WScale is the window scale option's shift, -1 when the SYN
	// carries none.
	WScale int16 `json:"wscale"`
	// Options is the TCP option layout, p0f's way: "mss,sok,ts,nop,ws",
	// with eol+N for an end-of-options option followed by N bytes of
	// padding. Empty when not known: the signature is the TTL alone.
	Options string `json:"options"`
	// Sources are where the shape's facts come from.
	Sources []string `json:"sources"`
}

// Known reports whether s is a reference signature.
func (s Stack) Known() bool { return s.TTL != 0 }

// WindowFor is the SYN's window with an MSS of mss: Window, or WindowMSS
// segments of mss (at most 65535, the field's size).
func (s Stack) WindowFor(mss uint16) uint16 {
	if s.WindowMSS == 0 {
		return s.Window
	}
	return uint16(min(s.WindowMSS*int(mss), 65535))
}

// String is the shape in p0f's signature words: "ttl 64 df win mss*44
// mss 1460 ws 7 mss,sok,ts,nop,ws", or "no signature".
func (s Stack) String() string {
	if !s.Known() {
		return "no signature"
	}
	parts := []string{fmt.Sprintf("ttl %d", s.TTL)}
	if s.DF {
		parts = append(parts, "df")
	}
	if s.Options == "" {
		return strings.Join(parts, " ")
	}
	if s.WindowMSS != 0 {
		parts = append(parts, fmt.Sprintf("win mss*%d", s.WindowMSS))
	} else {
		parts = append(parts, fmt.Sprintf("win %d", s.Window))
	}
	parts = append(parts, fmt.Sprintf("mss %d", s.MSS))
	if s.WScale >= 0 {
		parts = append(parts, fmt.Sprintf("ws %d", s.WScale))
	}
	return strings.Join(append(parts, s.Options), " ")
}

// The signatures. p0f's database (p0f.fp, version 3, 2012) is the
// long-standing public reference; the facts are taken from it, the table
// is our own.
const p0fSource = "p0f 3 fingerprint database p0f.fp, [tcp:request] signatures (ver:ittl:olen:mss:wsize,scale:olayout:quirks)"

var (
	// linuxStack is Linux since 4.20: 64 KB windows, rounded down to
	// whole segments.
	linuxStack = Stack{TTL: 64, DF: true, WindowMSS: 44, MSS: 1460, WScale: 7, Options: "mss,sok,ts,nop,ws",
		Sources: []string{
			p0fSource + ": Linux, *:64:0:*:mss*N,S:mss,sok,ts,nop,ws:df,id+:0",
			"commit a337531b942b (tcp: up initial rmem to 128KB and SYN rwin to around 64KB; 4.20): the SYN window becomes 64 KB rounded down to whole segments, 44 × 1460 = 64240",
		}}
	// linux4Stack is Linux 3.11 to 4.19: 20 segments.
	linux4Stack = Stack{TTL: 64, DF: true, WindowMSS: 20, MSS: 1460, WScale: 7, Options: "mss,sok,ts,nop,ws",
		Sources: []string{
			p0fSource + ": Linux, *:64:0:*:mss*N,S:mss,sok,ts,nop,ws:df,id+:0",
			"p0f-mtu fork of p0f.fp (ValdikSS): Linux 3.11 and newer, mss*20 with scale 7 (64 KB, 44 segments, from 4.20: commit a337531b942b)",
		}}
	// linux3Stack is Linux 3.1 to 3.10: 10 segments (2.6 used 4).
	linux3Stack = Stack{TTL: 64, DF: true, WindowMSS: 10, MSS: 1460, WScale: 7, Options: "mss,sok,ts,nop,ws",
		Sources: []string{
			p0fSource + ": Linux 3.x, *:64:0:*:mss*10,4..7:mss,sok,ts,nop,ws:df,id+:0; Linux 2.6.x, mss*4 with scale 6..8",
			"p0f-mtu fork of p0f.fp (ValdikSS): Linux 3.1-3.10 mss*10, 3.11 and newer mss*20",
		}}
	freebsdStack = Stack{TTL: 64, DF: true, Window: 65535, MSS: 1460, WScale: 6, Options: "mss,nop,ws,sok,ts",
		Sources: []string{p0fSource + ": FreeBSD 9.x, *:64:0:*:65535,6:mss,nop,ws,sok,ts:df,id+:0"}}
	openbsdStack = Stack{TTL: 64, DF: true, Window: 16384, MSS: 1460, WScale: 3, Options: "mss,nop,nop,sok,nop,ws,nop,nop,ts",
		Sources: []string{p0fSource + ": OpenBSD 4.x-5.x, *:64:0:*:16384,3:mss,nop,nop,sok,nop,ws,nop,nop,ts:df,id+:0"}}
	// netbsdStack knows the TTL alone: p0f has no NetBSD SYN signature.
	netbsdStack = Stack{TTL: 64, WScale: -1,
		Sources: []string{"sys/netinet/ip.h IPDEFTTL 64 (the BSDs' default TTL); p0f.fp has no NetBSD SYN signature, so the rest is not known"}}
	macosStack = Stack{TTL: 64, DF: true, Window: 65535, MSS: 1460, WScale: 4, Options: "mss,nop,ws,nop,nop,ts,sok,eol+1",
		Sources: []string{
			p0fSource + ": Mac OS X 10.x and iOS, *:64:0:*:65535,1..4:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0",
			"p0f-mtu fork of p0f.fp (ValdikSS): Mac OS X 10.9 or newer, scale 4",
		}}
	windowsStack = Stack{TTL: 128, DF: true, Window: 8192, MSS: 1460, WScale: 8, Options: "mss,nop,ws,nop,nop,sok",
		Sources: []string{
			p0fSource + ": Windows 7 or 8, *:128:0:*:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0 (NT kernel 6.x: window 8192, no timestamps)",
			"Windows 10 and later are also seen with windows of 64240 and 65535; p0f.fp predates them",
		}}
	windowsXPStack = Stack{TTL: 128, DF: true, Window: 65535, MSS: 1460, WScale: -1, Options: "mss,nop,nop,sok",
		Sources: []string{p0fSource + ": Windows XP, *:128:0:*:65535,0:mss,nop,nop,sok:df,id+:0 (and mss,nop,ws,nop,nop,sok when window scaling is turned on)"}}
)
