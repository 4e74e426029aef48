package strategies

import "github.com/portsim/portsim/allocator"

// The probe loops strategies share. Each asks usable() candidate by
// candidate in the order its algorithm walks, or, when the request carries
// the table's Scanner, hands the same walk to it in one call: the port,
// probe count and state afterwards are the same either way
// (TestScanLoopsScannerPath, TestScanFastPathChangesNothing).

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

// counterScan is the probe loop of RFC 6056 Algorithms 3 and 4: try
// min + (off + *ctr) % num and increment *ctr after each try, at most num
// tries. off must be below num. The candidate steps +1 with wrap rather than
// being divided out each try; the result is the same.
func counterScan(r *allocator.Request, off uint64, ctr *uint32, usable func(uint16) bool) (port uint16, probes int, err error) {
	num := uint64(r.Size())
	cand := off + uint64(*ctr)%num
	if cand >= num {
		cand -= num
	}
	// The candidates are consecutive ports, which the table's Scanner
	// walks faster — unless the counter wraps at 2^32 during the scan.
	if r.Scan != nil && uint64(*ctr)+num <= 1<<32 {
		port, probes, ok := r.Scan.Scan(r.Lo, int(num), int(cand), 1, int(num))
		*ctr += uint32(probes)
		if !ok {
			return 0, probes, allocator.ErrAddrNotAvail
		}
		return port, probes, nil
	}
	for probes < int(num) {
		probes++
		port = r.Lo + uint16(cand)
		*ctr++
		if usable(port) {
			return port, probes, nil
		}
		cand++
		switch {
		case *ctr == 0: // the counter wrapped at 2^32: (off + 0) % num
			cand = off
		case cand == num:
			cand = 0
		}
	}
	return 0, probes, allocator.ErrAddrNotAvail
}

// stepScan is the probe loop Linux's connect() and bind() share: candidates
// lo+offset, +step, +2·step, …, wrapping by remaining, while i (the distance
// walked, in ports) is below remaining. It returns the port found and the
// distance from the start to it, as the kernel's loop variable i holds it.
//
// With the table's Scanner it examines runs of busy candidates a word at a
// time, with the same result.
func stepScan(sc allocator.Scanner, lo, remaining, offset, step uint32, usable func(uint16) bool) (port uint16, i uint32, probes int, ok bool) {
	if offset >= remaining {
		// Only a one-port range gets here (bind's offset|1 is 1): the
		// kernel's walk wraps it to the range's start, and so must Scan.
		offset %= remaining
	}
	if sc != nil {
		n := int(remaining) // candidates: ⌈remaining/step⌉ for the steps Linux uses, without a division
		if step == 2 {
			n = int(remaining+1) >> 1
		} else if step != 1 {
			n = int((remaining + step - 1) / step)
		}
		port, examined, ok := sc.Scan(uint16(lo), int(remaining), int(offset), int(step), n)
		if !ok {
			return 0, 0, examined, false
		}
		return port, uint32(examined-1) * step, examined, true
	}
	high := lo + remaining
	p := lo + offset
	for i = 0; i < remaining; i += step {
		if p >= high {
			p -= remaining
		}
		probes++
		if usable(uint16(p)) {
			return uint16(p), i, probes, true
		}
		p += step
	}
	return 0, 0, probes, false
}
