package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/portsim/portsim/serve"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "explore scenarios and step through picks in the browser",
		args:    "[--listen ADDR] [flags]",
		about: `Serve starts a small web server for a browser on this machine: one page,
self-contained (it fetches nothing from elsewhere and works offline), with
three tabs.

Explore has a control for every scenario field — strategies and profiles
side by side, rate, lifetime, destinations and popularity, request kind,
close mode, TIME_WAIT, tw_reuse, range, seed and the rest — and re-runs the
simulation on each change: the results table, a capacity gauge per strategy
(the rate against what the busiest pool of ports sustains) and the charts.
The URL carries the scenario, so a link or a reload shows the same run, and
a button downloads it as a file that 'portsim run --scenario' reads.

Step through picks ports with one strategy as 'portsim explain' does, one
pick at a time, drawing the port range (free, in use, TIME_WAIT, reserved)
and the candidates probed in order, with the hash inputs, table index and
counter where the algorithm has them; the command line that prints the
same picks is shown above them.

Ask answers the report's questions for the current scenario: why a port
such as 62412 was used, and how many connections per second one server
takes before connect() fails with EADDRNOTAVAIL.

The server listens on loopback (127.0.0.1:8080) and answers only requests
addressed to a loopback name. Any other address needs --allow-remote, and
then anyone who can reach it can run simulations: each request is limited
(--max-arrivals, --timeout, --max-runs at once) but not authenticated.
Ctrl-C stops it.`,
		examples: `# open http://127.0.0.1:8080/ in a browser
portsim serve
# another port
portsim serve --listen 127.0.0.1:9000
# a classroom: every address of this machine, with a warning
portsim serve --listen :8080 --allow-remote`,
		setup: serveSetup,
	})
}

func serveSetup(fs *pflag.FlagSet) action {
	def := serve.DefaultLimits()
	listen := fs.String("listen", "127.0.0.1:8080", "`ADDR` to listen on, HOST:PORT; a host other than loopback needs --allow-remote")
	remote := fs.Bool("allow-remote", false, "allow --listen on an address other machines can reach (prints a warning)")
	arrivals := fs.Float64("max-arrivals", def.MaxArrivals, "most simulated arrivals one request may ask for, `N` summed over its strategies")
	timeout := fs.Duration("timeout", def.Timeout, "longest a run may take, a `DURATION`; slower runs are stopped and answered with 503")
	runs := fs.Int("max-runs", 0, "`N` runs at once, 0 for one per CPU; a few more wait briefly, the rest are answered with 503")
	return func(e *env, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q; serve takes only flags", args[0])
		}
		switch {
		case !(*arrivals >= 1 && *arrivals <= 1e10):
			return usagef("--max-arrivals: %g is out of range; want 1 to 1e10", *arrivals)
		case *timeout <= 0 || *timeout > time.Hour:
			return usagef("--timeout: %v is out of range; want a duration above 0 and up to 1h", *timeout)
		case *runs < 0 || *runs > 1024:
			return usagef("--max-runs: %d is out of range; want 0 (one per CPU) to 1024", *runs)
		}
		loopback, err := isLoopback(*listen)
		if err != nil {
			return flagError("listen", err)
		}
		if !loopback && !*remote {
			return usagef("--listen: %s can be reached from other machines; give --allow-remote to serve it anyway, or listen on 127.0.0.1", *listen)
		}
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
		if !loopback {
			fmt.Fprintf(e.stderr, "warning: serving on %s, reachable from other machines; anyone who reaches it can run simulations (within the limits)\n", ln.Addr())
		}
		srv := serve.New(serve.Config{
			Limits:       serve.Limits{MaxArrivals: *arrivals, Timeout: *timeout, MaxRuns: *runs},
			LoopbackOnly: loopback,
			Log:          log.New(e.stderr, "serve: ", log.LstdFlags),
		})
		if err := srv.Warm(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "serving the explorer at http://%s/ (Ctrl-C stops)\n", ln.Addr())
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return serve.Serve(ctx, ln, srv)
	}
}

// isLoopback reports whether addr, HOST:PORT, listens on loopback only:
// localhost, 127.0.0.0/8 or ::1. An empty host means every address.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("%q is not HOST:PORT; want an address such as 127.0.0.1:8080", addr)
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback(), nil
}
