package strategies

import "github.com/portsim/portsim/allocator"

// linearScan probes every port of the range once, starting at offset
// start (0 ≤ start < size) from r.Lo and stepping +1 with wrap from Hi to Lo:
// the probe loop of RFC 6056 Algorithm 1 and its relatives.
func linearScan(r *allocator.Request, start int, usable func(uint16) bool) (port uint16, probes int, err error) {
	size := r.Size()
	if r.Scan != nil {
		port, probes, ok := r.Scan.Scan(r.Lo, size, start, 1, size)
		if !ok {
			return 0, probes, allocator.ErrAddrNotAvail
		}
		return port, probes, nil
	}
	p := int(r.Lo) + start
	for probes < size {
		probes++
		if usable(uint16(p)) {
			return uint16(p), probes, nil
		}
		p++
		if p > int(r.Hi) {
			p = int(r.Lo)
		}
	}
	return 0, probes, allocator.ErrAddrNotAvail
}
