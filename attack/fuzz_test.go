package attack

import (
	"slices"
	"testing"
)

// FuzzConfigSet: any text for any setting either sets it, reading back as
// text that sets it the same way again, or is refused naming the setting;
// nothing panics.
func FuzzConfigSet(f *testing.F) {
	for _, s := range settings {
		f.Add(s.Name, s.Default())
	}
	f.Add("budget", "auto")
	f.Add("seen", "target")
	f.Add("guess-kind", "udp")
	f.Add("attack-rate", "1e400")
	f.Add("rtt", "-5ms")
	f.Add("samples", "99999999999999999999")
	f.Fuzz(func(t *testing.T, name, value string) {
		c := DefaultConfig()
		err := c.Set(name, value)
		i := slices.IndexFunc(settings, func(s Setting) bool { return s.Name == name })
		if i < 0 {
			if err == nil {
				t.Fatalf("Set(%q) of no setting succeeded", name)
			}
			return
		}
		if err != nil {
			return
		}
		text := settings[i].get(&c)
		again := DefaultConfig()
		if err := again.Set(name, text); err != nil || settings[i].get(&again) != text {
			t.Fatalf("%s=%q reads back %q, which sets to %q (%v)", name, value, text, settings[i].get(&again), err)
		}
		_ = c.check() // bounds: an error or nil, never a panic
	})
}

func FuzzParseSeen(f *testing.F) {
	f.Add("own")
	f.Add("target")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSeen(s)
		if err == nil && v.String() != s {
			t.Fatalf("ParseSeen(%q) = %v", s, v)
		}
	})
}
