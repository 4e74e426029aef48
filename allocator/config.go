package allocator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Range is an inclusive span of ports.
type Range struct {
	Lo uint16 `json:"lo"`
	Hi uint16 `json:"hi"`
}

// Size is the number of ports in r.
func (r Range) Size() int { return int(r.Hi) - int(r.Lo) + 1 }

// Contains reports whether p is in r.
func (r Range) Contains(p uint16) bool { return p >= r.Lo && p <= r.Hi }

func (r Range) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Validate checks 1 ≤ Lo ≤ Hi ≤ 65535 and names the bad bound.
func (r Range) Validate() error {
	if r.Lo == 0 {
		return fmt.Errorf("low bound 0 is not a port; want 1 to 65535")
	}
	if r.Lo > r.Hi {
		return fmt.Errorf("low bound %d is above high bound %d; want LO ≤ HI", r.Lo, r.Hi)
	}
	return nil
}

// Common ranges from the facts file.
var (
	// DynamicRange is RFC 6335's dynamic (ephemeral) range, also macOS's and
	// Windows's default.
	DynamicRange = Range{49152, 65535}
	// LinuxRange is Linux's default ip_local_port_range.
	LinuxRange = Range{32768, 60999}
)

// ParseRange reads "LO-HI" (or a single port "P"), checking that both bounds
// are ports (1 to 65535) and LO ≤ HI.
func ParseRange(s string) (Range, error) {
	loS, hiS, found := strings.Cut(strings.TrimSpace(s), "-")
	if !found {
		hiS = loS
	}
	lo, err := parsePort(loS, "low bound")
	if err != nil {
		return Range{}, err
	}
	hi, err := parsePort(hiS, "high bound")
	if err != nil {
		return Range{}, err
	}
	r := Range{lo, hi}
	return r, r.Validate()
}

func parsePort(s, what string) (uint16, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a number; want a port 1 to 65535", what, s)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s %d is out of range; want a port 1 to 65535", what, n)
	}
	return uint16(n), nil
}

// ParseRanges reads a comma-separated list of ports and ranges, the syntax of
// Linux's ip_local_reserved_ports ("8080,9000-9100"). Empty means none.
func ParseRanges(s string) ([]Range, error) {
	var out []Range
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		r, err := ParseRange(part)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// FormatRanges is the inverse of ParseRanges.
func FormatRanges(rs []Range) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// TWReuse is the policy for taking a 4-tuple still in TIME_WAIT for a new
// connect(), like Linux's net.ipv4.tcp_tw_reuse.
type TWReuse uint8

const (
	TWReuseOff      TWReuse = iota // 0: never
	TWReuseOn                      // 1: for any destination
	TWReuseLoopback                // 2: only when both ends are loopback (Linux's default)
)

var twNames = [...]string{TWReuseOff: "off", TWReuseOn: "on", TWReuseLoopback: "loopback"}

func (p TWReuse) String() string {
	if int(p) < len(twNames) {
		return twNames[p]
	}
	return fmt.Sprintf("TWReuse(%d)", uint8(p))
}

// ParseTWReuse reads "off", "on" or "loopback" (and Linux's 0, 1, 2).
func ParseTWReuse(s string) (TWReuse, error) {
	for p, name := range twNames {
		if s == name || s == strconv.Itoa(p) {
			return TWReuse(p), nil
		}
	}
	return 0, fmt.Errorf("%q is not a tw_reuse policy; want off, on or loopback (0, 1, 2)", s)
}

// Defaults from Linux: TCP_TIMEWAIT_LEN and tcp_tw_reuse_delay.
const (
	DefaultTimeWait     = 60 * time.Second
	DefaultTWReuseDelay = time.Second
)

// Config describes a host's port rules.
type Config struct {
	Range        Range
	Reserved     []Range       // excluded from automatic choice only
	TimeWait     time.Duration // how long a client-closed 4-tuple stays in TIME_WAIT; 0 keeps none
	TWReuse      TWReuse
	TWReuseDelay time.Duration // minimum TIME_WAIT age before a reuse is allowed
}

// DefaultConfig is Linux's defaults: range 32768-60999, TIME_WAIT 60 s,
// tw_reuse for loopback only after 1 s.
func DefaultConfig() Config {
	return Config{
		Range:        LinuxRange,
		TimeWait:     DefaultTimeWait,
		TWReuse:      TWReuseLoopback,
		TWReuseDelay: DefaultTWReuseDelay,
	}
}

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	if err := c.Range.Validate(); err != nil {
		return fmt.Errorf("range: %w", err)
	}
	for _, r := range c.Reserved {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("reserved: %w", err)
		}
	}
	if c.TimeWait < 0 {
		return fmt.Errorf("time-wait: %v is negative; want a duration ≥ 0", c.TimeWait)
	}
	if c.TWReuseDelay < 0 {
		return fmt.Errorf("tw-reuse-delay: %v is negative; want a duration ≥ 0", c.TWReuseDelay)
	}
	if c.TWReuse > TWReuseLoopback {
		return fmt.Errorf("tw-reuse: %v; want off, on or loopback", c.TWReuse)
	}
	return nil
}
