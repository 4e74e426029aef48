package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// MaxShards bounds how many slices a sweep is cut into.
const MaxShards = 100_000

// A Shard is one of Count deterministic slices of a sweep's runs: run r
// belongs to shard r mod Count, so neighbouring runs, which cost about the
// same, spread over the shards. The zero Shard is the whole sweep.
type Shard struct {
	Index int `json:"index"` // from 0
	Count int `json:"count"`
}

// ParseShard reads I/N, 0 ≤ I < N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	idx, errI := strconv.Atoi(strings.TrimSpace(i))
	cnt, errN := strconv.Atoi(strings.TrimSpace(n))
	if !ok || errI != nil || errN != nil {
		return Shard{}, fmt.Errorf("%q: want I/N, the I-th of N slices counted from 0, such as 0/5", s)
	}
	sh := Shard{Index: idx, Count: cnt}
	if cnt < 1 {
		return Shard{}, fmt.Errorf("%q: %d shards; want 1 to %d", s, cnt, MaxShards)
	}
	if err := sh.check(); err != nil {
		return Shard{}, fmt.Errorf("%q: %w", s, err)
	}
	return sh, nil
}

func (sh Shard) check() error {
	if sh == (Shard{}) {
		return nil
	}
	if sh.Count < 1 || sh.Count > MaxShards {
		return fmt.Errorf("%d shards; want 1 to %d", sh.Count, MaxShards)
	}
	if sh.Index < 0 || sh.Index >= sh.Count {
		return fmt.Errorf("shard index %d; want 0 to %d for %d shards", sh.Index, sh.Count-1, sh.Count)
	}
	return nil
}

// String is I/N.
func (sh Shard) String() string { return fmt.Sprintf("%d/%d", sh.Index, sh.Count) }

func (sh Shard) has(run int) bool { return sh.Count <= 1 || run%sh.Count == sh.Index }

// size is how many of total runs the shard holds.
func (sh Shard) size(total int) int {
	if sh.Count <= 1 {
		return total
	}
	return (total - sh.Index + sh.Count - 1) / sh.Count
}

// Fingerprint identifies the sweep: a hash of its base scenario (seed and
// strategies included), its grid and its kinds. Shards of one sweep share
// it; a change to any of these changes it.
func (s *Sweep) Fingerprint() string {
	b, _ := json.Marshal(struct {
		Schema   string
		Scenario []Field
		Grid     Grid
		Kinds    []string
	}{SweepSchema, s.Base.Resolved(), s.Grid, s.Kinds})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// PartSchema is the version of the JSON part format.
const PartSchema = "portsim.sweep-part/v1"

// A SweepPart is one shard's share of a sweep, as 'portsim sweep --shard'
// writes it and Merge joins it with the others. It carries the sweep's
// definition — Result's scenario, Grid and Kinds — so that the merge can
// rebuild the sweep, and check the fingerprint against it.
type SweepPart struct {
	Schema      string       `json:"schema"`
	Fingerprint string       `json:"fingerprint"` // Sweep.Fingerprint
	Shard       Shard        `json:"shard"`
	Runs        int          `json:"runs"` // the whole sweep's
	Grid        Grid         `json:"grid"`
	Kinds       []string     `json:"kinds,omitempty"`
	Result      *SweepResult `json:"result"` // this shard's rows, in run order; its scenario is the sweep's base

	name string // where it was read from, for messages
}

// Part wraps res, the result of running shard sh of s, as a part file.
func (s *Sweep) Part(res *SweepResult, sh Shard) *SweepPart {
	if sh == (Shard{}) {
		sh = Shard{0, 1}
	}
	return &SweepPart{Schema: PartSchema, Fingerprint: s.Fingerprint(), Shard: sh, Runs: s.Runs(),
		Grid: s.Grid, Kinds: s.Kinds, Result: res}
}

// PartFile is the name shard sh's part is written under: the index padded
// to N's width, so the names sort in shard order.
func PartFile(sh Shard) string {
	w := len(strconv.Itoa(sh.Count))
	return fmt.Sprintf("sweep-part-%0*d-of-%d.json", w, sh.Index, sh.Count)
}

// ReadPart reads a part file, and checks that its rows are its shard's
// share and that its fingerprint is its sweep's; name is used in
// messages, by Merge too.
func ReadPart(name string, data []byte) (*SweepPart, error) {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %w", name, err)
	}
	if head.Schema != PartSchema {
		return nil, fmt.Errorf("%s: schema %q; want %q, a part written by 'portsim sweep --shard'", name, head.Schema, PartSchema)
	}
	p := &SweepPart{name: name}
	if err := json.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case p.Result == nil:
		return nil, fmt.Errorf("%s: no result in it", name)
	case p.Shard.Count < 1 || p.Shard.check() != nil:
		return nil, fmt.Errorf("%s: shard %s; want I/N with 0 ≤ I < N ≤ %d", name, p.Shard, MaxShards)
	case p.Result.Partial:
		return nil, fmt.Errorf("%s: shard %s was stopped before its end; run it again", name, p.Shard)
	}
	s, err := p.sweep()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case s.Fingerprint() != p.Fingerprint:
		return nil, fmt.Errorf("%s: fingerprint %s; its sweep's is %s (was the file edited?)", name, p.Fingerprint, s.Fingerprint())
	case p.Runs != s.Runs():
		return nil, fmt.Errorf("%s: %d runs; its sweep has %d", name, p.Runs, s.Runs())
	case len(p.Result.Rows) != p.Shard.size(p.Runs):
		return nil, fmt.Errorf("%s: %d rows; want %d, shard %s's share of %d runs", name, len(p.Result.Rows), p.Shard.size(p.Runs), p.Shard, p.Runs)
	}
	return p, nil
}

// sweep rebuilds the part's sweep from its definition.
func (p *SweepPart) sweep() (*Sweep, error) {
	base := DefaultScenario()
	for _, f := range p.Result.Scenario {
		if err := base.Set(f.Name, f.Value); err != nil {
			return nil, fmt.Errorf("scenario: %w", err)
		}
	}
	s := &Sweep{Base: base, Grid: p.Grid, Kinds: p.Kinds}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return s, nil
}

// Merge joins the parts of one sweep: it returns the sweep and the result
// it gives unsharded. It refuses parts of different sweeps, a shard given
// twice and a missing shard, naming the shards.
func Merge(parts []*SweepPart) (*Sweep, *SweepResult, error) {
	if len(parts) == 0 {
		return nil, nil, fmt.Errorf("no parts; want the part files of every shard")
	}
	first := parts[0]
	n := first.Shard.Count
	byIndex := make([]*SweepPart, n)
	for _, p := range parts {
		switch {
		case p.Fingerprint != first.Fingerprint:
			return nil, nil, fmt.Errorf("%s is from another sweep than %s (fingerprint %s, not %s): a different grid, scenario, seed or strategies",
				p.name, first.name, p.Fingerprint, first.Fingerprint)
		case p.Shard.Count != n:
			return nil, nil, fmt.Errorf("%s is shard %s, but %s is shard %s: the parts of a sweep are cut the same way",
				p.name, p.Shard, first.name, first.Shard)
		case byIndex[p.Shard.Index] != nil:
			return nil, nil, fmt.Errorf("shard %s given twice: %s and %s", p.Shard, byIndex[p.Shard.Index].name, p.name)
		}
		byIndex[p.Shard.Index] = p
	}
	var missing []string
	for i, p := range byIndex {
		if p == nil {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		list := strings.Join(missing[:min(len(missing), 20)], ", ")
		if len(missing) > 20 {
			list += fmt.Sprintf(" and %d more", len(missing)-20)
		}
		return nil, nil, fmt.Errorf("missing %d of %d shards: %s (run each with --shard I/%d)", len(missing), n, list, n)
	}
	s, err := first.sweep()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", first.name, err)
	}
	out := *first.Result
	out.Rows = make([]SweepRow, first.Runs)
	for r := range out.Rows {
		out.Rows[r] = byIndex[r%n].Result.Rows[r/n]
	}
	return s, &out, nil
}
