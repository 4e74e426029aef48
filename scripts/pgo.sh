#!/usr/bin/env bash
# Regenerates cmd/portsim/default.pgo: the CPU profile that `go build`,
# `go install` and `go run` use, by default, for profile-guided
# optimization of the portsim binary (Go inlines and devirtualizes the hot
# calls it names). The profile comes from the benchmarks of the paths a
# user spends time in: simulation with and without a gateway, sweeps,
# analyze and the capture reader. Rerun it after a change to a hot path;
# a stale profile still builds, it only helps less.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bench() { # package, benchmark pattern, name
  go test "$1" -run '^$' -bench "$2" -benchtime 1s -cpuprofile "$tmp/$3.prof" -o "$tmp/$3.test" >/dev/null
}
bench ./sim '^(BenchmarkSimulate|BenchmarkSimulateGateway|BenchmarkSweepJobs)$' sim
bench ./observe/fit '^BenchmarkAnalyze$' fit
bench ./observe/capture '^BenchmarkRead$' capture
bench ./strategies '^BenchmarkPick$' strategies
go tool pprof -proto "$tmp"/*.prof >"$tmp/merged.pgo" 2>/dev/null
mv "$tmp/merged.pgo" cmd/portsim/default.pgo
echo "wrote cmd/portsim/default.pgo ($(wc -c <cmd/portsim/default.pgo) bytes)"
