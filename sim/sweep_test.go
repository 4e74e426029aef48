package sim

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseVary(t *testing.T) {
	tests := []struct {
		spec    string
		field   string
		values  []string
		wantErr string
	}{
		{"rate=100:300:100", "rate", []string{"100", "200", "300"}, ""},
		{"rate=100,250", "rate", []string{"100", "250"}, ""},
		{"time-wait=30s:60s:15s", "time-wait", []string{"30s", "45s", "1m0s"}, ""},
		{"destinations=1:1:1", "destinations", []string{"1"}, ""},
		{"rate", "", nil, "want FIELD="},
		{"bogus=1,2", "", nil, `"bogus" is not a field`},
		{"rate=300:100:10", "", nil, "START ≤ STOP"},
		{"rate=1:100000:1", "", nil, "at most 1000"},
		{"rate=a:b:c", "", nil, "three numbers or three durations"},
	}
	for _, tt := range tests {
		field, values, err := ParseVary(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseVary(%q) error %v; want %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil || field != tt.field || !slices.Equal(values, tt.values) {
			t.Errorf("ParseVary(%q) = %q, %q, %v", tt.spec, field, values, err)
		}
	}
}

// The capacity curve: one destination fails only above range / TIME_WAIT,
// and bind-before-connect fails where connect does not.
func TestSweepCapacity(t *testing.T) {
	sc := scenario(t, "destinations", "4", "arrivals", "constant", "lifetime", "fixed:10ms", "duration", "30s",
		"close", "client", "time-wait", "10s", "tw-reuse", "off", "range", "40000-40999", "strategy", "linux")
	sw, err := Sweep(context.Background(), sc, "rate", []string{"50", "150"}, []string{"connect", "bind"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Rows) != 4 || sw.Schema != SweepSchema {
		t.Fatalf("%d rows; want 4", len(sw.Rows))
	}
	fails := map[string]bool{}
	for _, r := range sw.Rows {
		if math.Abs(r.LimitRate-100) > 1e-9 {
			t.Errorf("limit %.1f/s; want 1000 ports / 10 s = 100/s", r.LimitRate)
		}
		fails[r.Value+"/"+r.Kind] = r.Failures > 0
	}
	want := map[string]bool{"50/connect": false, "50/bind": false, "150/connect": false, "150/bind": true}
	for k, w := range want {
		if fails[k] != w {
			t.Errorf("%s: failures = %v; want %v", k, fails[k], w)
		}
	}
}

// CheckSweep finds a bad point before anything runs, and names it; Sweep
// refuses the same points without running the good ones first.
func TestCheckSweep(t *testing.T) {
	base := scenario(t, "duration", "5s", "warmup", "1s", "strategy", "linux")
	for _, c := range []struct {
		field  string
		values []string
		kinds  []string
		want   string // "" for no error
	}{
		{"rate", []string{"50", "100"}, nil, ""},
		{"rate", []string{"50", "100"}, []string{"connect", "bind", "udp"}, ""},
		{"rate", []string{"50", "-1"}, nil, "rate: -1 is negative"},
		{"warmup", []string{"0s", "10s"}, nil, "warmup=10s: warmup: 10s is not less than duration 5s"},
		{"rate", []string{"50"}, []string{"connect", "tcp"}, `"tcp"`},
		{"rate", make([]string, maxSweepValues+1), nil, "want at most 1000"},
	} {
		err := CheckSweep(base, c.field, c.values, c.kinds)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s=%v kinds %v: %v; want no error", c.field, c.values, c.kinds, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s=%v kinds %v: %v; want an error saying %q", c.field, c.values, c.kinds, err, c.want)
		}
		if c.want == "" {
			continue
		}
		if _, err := Sweep(t.Context(), base, c.field, c.values, c.kinds, Options{}); err == nil {
			t.Errorf("Sweep %s=%v kinds %v ran; want CheckSweep's error", c.field, c.values, c.kinds)
		}
	}
}
