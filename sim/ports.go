package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// The dst-port field's text: a list of destination ports.

const dstPortWant = "ports 1 to 65535, comma-separated, such as 443 or 80,443"

// parsePorts reads a comma list of ports 1 to 65535; empty means none. An
// empty item ("443,,80") is refused: it is more likely a port left out
// than a comma too many.
func parsePorts(s string) ([]uint16, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ports []uint16
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, wantf(dstPortWant, "an empty item between commas")
		}
		n, err := strconv.Atoi(item)
		if err != nil {
			return nil, wantf(dstPortWant, "%q is not a port", item)
		}
		if n < 1 || n > 65535 {
			return nil, wantf(dstPortWant, "%d is out of range", n)
		}
		ports = append(ports, uint16(n))
	}
	return ports, nil
}

// formatPorts is the canonical text parsePorts reads back.
func formatPorts(ps []uint16) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = strconv.Itoa(int(p))
	}
	return strings.Join(parts, ",")
}

// checkPorts checks that there is a port, none is 0 and none is listed
// twice.
func checkPorts(ps []uint16) error {
	if len(ps) == 0 {
		return fmt.Errorf("no ports; want %s", dstPortWant)
	}
	seen := map[uint16]bool{}
	for _, p := range ps {
		if p == 0 {
			return fmt.Errorf("0 is not a port; want %s", dstPortWant)
		}
		if seen[p] {
			return fmt.Errorf("%d is listed twice; want %s", p, dstPortWant)
		}
		seen[p] = true
	}
	return nil
}
