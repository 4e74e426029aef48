package minheap

// Ordered is an item that knows whether it comes before another. Before
// must be a strict order; ties come out in no particular order.
type Ordered[T any] interface{ Before(T) bool }

// Push adds e to the heap h.
func Push[T Ordered[T]](h *[]T, e T) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].Before(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

// Pop removes and returns the least item of h, which must not be empty.
func Pop[T Ordered[T]](h *[]T) T {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && s[l].Before(s[m]) {
			m = l
		}
		if r < n && s[r].Before(s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
