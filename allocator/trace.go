package allocator

import "fmt"

// Trace records how one port was chosen, step by step, for people to read.
// It is nil on the hot path; building steps allocates.
type Trace struct {
	Steps []Step
}

// Step is one thing a strategy computed or one candidate it probed.
type Step struct {
	// What is "hash", "index", "counter", "offset", "probe", "chose",
	// "update", or another word a strategy uses for its state.
	What   string `json:"what"`
	Port   uint16 `json:"port,omitempty"`   // the candidate, for probes and choices
	Usable *bool  `json:"usable,omitempty"` // for probes
	Detail string `json:"detail"`
}

// Addf appends a step.
func (t *Trace) Addf(what string, port uint16, format string, args ...any) {
	t.Steps = append(t.Steps, Step{What: what, Port: port, Detail: fmt.Sprintf(format, args...)})
}

func (t *Trace) probe(p uint16, ok bool, why string) {
	t.Steps = append(t.Steps, Step{What: "probe", Port: p, Usable: &ok, Detail: why})
}

// Probes counts the probe steps.
func (t *Trace) Probes() int {
	n := 0
	for _, s := range t.Steps {
		if s.What == "probe" {
			n++
		}
	}
	return n
}
