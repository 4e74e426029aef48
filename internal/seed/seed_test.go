package seed

import "testing"

// SplitMix64's published outputs (Vigna's splitmix64.c): seeded with 0 its
// first word, seeded with 1234567 its first five.
func TestSplitMix64Reference(t *testing.T) {
	if got := split(0); got != 0xe220a8397b1dcdaf {
		t.Errorf("split(0) = %#x, want 0xe220a8397b1dcdaf", got)
	}
	state := uint64(1234567)
	for i, want := range []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821} {
		if got := split(state); got != want {
			t.Errorf("output %d = %d, want %d", i+1, got, want)
		}
		state += gamma
	}
}

// The derivations decide every port portsim prints: pin them.
func TestDerivationsPinned(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  uint64
		want uint64
	}{
		{`Named(1, "linux/connect")`, Named(1, "linux/connect"), 0x652ca91a73080284},
		{`Named(42, "profile:macos/udp")`, Named(42, "profile:macos/udp"), 0x19f669631bd60316},
		{`Named(0, "")`, Named(0, ""), 0xf52a15e9a9b5e89b},
		{"Word(1, 0, 1)", Word(1, 0, 1), 0xe9fd6049d65af21e},
		{"Word(1, 30, 3)", Word(1, 30, 3), 0xc44951907ef67a1c},
		{"Word(0xdeadbeef, 7, 4)", Word(0xdeadbeef, 7, 4), 0x4c33dc39bcaf0cd},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}

// Neighbouring inputs give unrelated words: no two of a grid of parents,
// streams and purposes (or of names) collide, and each output bit is set
// about half the time.
func TestDerivationsSpread(t *testing.T) {
	seen := map[uint64]string{}
	var ones [64]int
	n := 0
	add := func(v uint64, what string) {
		if prev, dup := seen[v]; dup {
			t.Fatalf("%s and %s give the same word %#x", prev, what, v)
		}
		seen[v] = what
		for b := range 64 {
			ones[b] += int(v >> b & 1)
		}
		n++
	}
	for parent := uint64(0); parent < 16; parent++ {
		for stream := uint64(0); stream < 16; stream++ {
			for purpose := uint64(1); purpose <= 4; purpose++ {
				add(Word(parent, stream, purpose), "Word")
			}
		}
		for _, name := range []string{"a", "b", "linux/connect", "linux/bind", "linux/udp"} {
			add(Named(parent, name), "Named "+name)
		}
	}
	// 1104 words: a bit set in fewer than 40% or more than 60% of them is
	// more than 6 standard deviations off.
	for b, c := range ones {
		if c < n*4/10 || c > n*6/10 {
			t.Errorf("bit %d set in %d of %d words", b, c, n)
		}
	}
}
