package minheap_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/portsim/portsim/internal/minheap"
)

type event struct{ at, seq int }

func (e event) Before(o event) bool { return e.at < o.at || e.at == o.at && e.seq < o.seq }

// Whatever order items go in, interleaved with pops, they come out least
// first.
func TestPopsInOrder(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 10, 1000} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		var h []event
		var got []event
		for i := range n {
			e := event{at: rng.IntN(n/4 + 1), seq: i}
			minheap.Push(&h, e)
			if rng.IntN(4) == 0 { // a pop now and then, as an event loop does
				got = append(got, minheap.Pop(&h))
			}
		}
		for len(h) > 0 {
			got = append(got, minheap.Pop(&h))
		}
		if len(got) != n {
			t.Fatalf("n=%d: popped %d", n, len(got))
		}
		// Pops interleaved with pushes need not give a sorted sequence,
		// but every pop is the least of what was in the heap then: replay it.
		var live []event
		j := 0
		rng = rand.New(rand.NewPCG(uint64(n), 1))
		for i := range n {
			live = append(live, event{at: rng.IntN(n/4 + 1), seq: i})
			if rng.IntN(4) == 0 {
				least := slices.MinFunc(live, func(a, b event) int { return cmp(a, b) })
				if got[j] != least {
					t.Fatalf("n=%d: pop %d is %v; want the least, %v", n, j, got[j], least)
				}
				live = slices.DeleteFunc(live, func(e event) bool { return e == least })
				j++
			}
		}
		slices.SortFunc(live, cmp)
		if !slices.Equal(got[j:], live) {
			t.Errorf("n=%d: the last pops are %v; want %v", n, got[j:], live)
		}
	}
}

func cmp(a, b event) int {
	switch {
	case a.Before(b):
		return -1
	case b.Before(a):
		return 1
	}
	return 0
}

func Example() {
	var h []event
	for _, e := range []event{{3, 0}, {1, 1}, {2, 2}, {1, 0}} {
		minheap.Push(&h, e)
	}
	for len(h) > 0 {
		fmt.Print(minheap.Pop(&h), " ")
	}
	// Output: {1 0} {1 1} {2 2} {3 0}
}
