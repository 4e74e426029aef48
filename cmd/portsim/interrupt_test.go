package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/observe/probe"
)

// sigint runs portsim with args and sends this process SIGINT every
// 100 ms until it returns, as a Ctrl-C at the terminal would. The test
// catches SIGINT itself meanwhile, so one that comes before or after the
// run's handler cannot end the test.
func sigint(t *testing.T, args ...string) result {
	t.Helper()
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, os.Interrupt)
	defer signal.Stop(ch)
	done := make(chan result)
	go func() { done <- portsim(args...) }()
	for {
		select {
		case r := <-done:
			return r
		case <-time.After(100 * time.Millisecond):
			syscall.Kill(os.Getpid(), syscall.SIGINT)
		}
	}
}

// Ctrl-C during a run writes the results so far, says on stderr and in
// every format that they are partial and how far each strategy got, and
// exits 130 (issue 12: it exited 0).
func TestInterruptedRun(t *testing.T) {
	args := []string{"run", "--strategy", "linux", "--strategy", "random", "--strategy", "sequential",
		"--rate", "5000", "--duration", "2h", "--lifetime", "exp:1s"}
	statuses := func(t *testing.T, rows []string) {
		t.Helper()
		for _, s := range rows {
			if s != "complete" && s != "not run" && !strings.HasPrefix(s, "partial to ") {
				t.Errorf("status %q; want complete, partial to Ns or not run", s)
			}
		}
		if len(rows) != 3 {
			t.Errorf("%d rows; want 3", len(rows))
		}
	}
	check := func(t *testing.T, r result) {
		t.Helper()
		if r.code != 130 || !strings.Contains(r.stderr, "the results are partial") {
			t.Fatalf("exit %d, stderr %q; want 130 and 'the results are partial'", r.code, r.stderr)
		}
	}
	t.Run("json", func(t *testing.T) {
		r := sigint(t, append(args, "--format", "json")...)
		check(t, r)
		var doc struct {
			Partial bool
			Results []struct {
				Partial        bool    `json:"partial"`
				StoppedSeconds float64 `json:"stopped_seconds"`
				Allocations    int     `json:"allocations"`
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatal(err)
		}
		if !doc.Partial {
			t.Error("the JSON is not marked partial")
		}
		var rows []string
		for _, res := range doc.Results {
			switch {
			case !res.Partial:
				rows = append(rows, "complete")
			case res.StoppedSeconds == 0:
				rows = append(rows, "not run")
			case res.StoppedSeconds >= 7200:
				t.Errorf("stopped at %v s of a 7200 s run", res.StoppedSeconds)
			default:
				rows = append(rows, "partial to ")
			}
		}
		statuses(t, rows)
	})
	t.Run("csv", func(t *testing.T) {
		r := sigint(t, append(args, "--format", "csv")...)
		check(t, r)
		recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil || len(recs) < 1 || recs[0][len(recs[0])-1] != "status" {
			t.Fatalf("csv %v %q; want a status column", err, r.stdout)
		}
		var rows []string
		for _, rec := range recs[1:] {
			rows = append(rows, rec[len(rec)-1])
		}
		statuses(t, rows)
	})
	t.Run("table", func(t *testing.T) {
		r := sigint(t, args...)
		check(t, r)
		if !strings.Contains(r.stdout, "PARTIAL RESULTS") || !strings.Contains(r.stdout, "STATUS") {
			t.Errorf("table without PARTIAL RESULTS and STATUS:\n%s", r.stdout)
		}
	})
}

// Ctrl-C during a sweep prints the rows of the runs that finished, says
// so, and exits 130 as a run does.
func TestInterruptedSweep(t *testing.T) {
	r := sigint(t, "sweep", "--strategy", "linux", "--vary", "rate=1000:5000:1000",
		"--duration", "2h", "--lifetime", "exp:1s", "--jobs", "1")
	if r.code != 130 || !strings.Contains(r.stderr, "partial") {
		t.Fatalf("exit %d, stderr %q; want 130 and the word partial", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "PARTIAL RESULTS") {
		t.Errorf("table without PARTIAL RESULTS:\n%s", r.stdout)
	}
}

// Ctrl-C during a live probe reports the connections made so far, marked
// partial, and exits 130.
func TestInterruptedProbe(t *testing.T) {
	if _, err := probe.Run(context.Background(), probe.Config{Count: 1, Kinds: []allocator.Kind{allocator.Connect},
		Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}}); err != nil {
		t.Skipf("cannot probe loopback here: %v", err)
	}
	r := sigint(t, "probe", "--count", "10000", "--kind", "connect", "--dst", "127.0.0.1", "--format", "json")
	if r.code != 130 || !strings.Contains(r.stderr, "partial") {
		t.Fatalf("exit %d, stderr %q; want 130 and the word partial", r.code, r.stderr)
	}
	var doc struct{ Partial bool }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || !doc.Partial {
		t.Errorf("JSON %v, partial %v; want a report marked partial", err, doc.Partial)
	}
}
