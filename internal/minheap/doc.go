// Package minheap is a binary min-heap kept in a plain slice, ordered by
// its items' own Before: the event queues of the simulator and the
// gateway, without container/heap's conversions to interface values on
// every push and pop.
package minheap
