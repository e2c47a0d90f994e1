#!/usr/bin/env bash
# Statement coverage of the product packages by the unit tests, by the
# integration tests (the plugin binary built with -cover, every run leaving its
# counters in GOCOVERDIR) and by both merged. Figures in docs/security.md.
#
#   hack/coverage.sh                   # table: package, unit, integration, merged
#   COVERAGE_OUT=/tmp/c hack/coverage.sh   # keep the counters and coverage.out there
set -euo pipefail
cd "$(dirname "$0")/.."
out=${COVERAGE_OUT:-$(mktemp -d)}
rm -rf "$out/unit" "$out/integration"
mkdir -p "$out/unit" "$out/integration"
# The integration test runs the plugin as nobody once (TestUnwritableCacheDirectory).
chmod 0777 "$out/integration"
mod=$(go list -m)
pkgs=$(go list ./cmd/kubelogin ./internal/... | grep -v /internal/testing/ | paste -sd, -)
units=$(go list ./internal/... ./cmd/... | grep -v /cmd/kubelogin-bench)
echo "coverage: unit tests" >&2
# A failing test still leaves its counters: report it and go on.
status=0
nice go test -count=1 -cover -coverpkg="$pkgs" $units -args -test.gocoverdir="$out/unit" >"$out/unit.log" 2>&1 ||
	{ grep -E '^(--- FAIL|FAIL)' "$out/unit.log" >&2; echo "coverage: unit tests failed, see $out/unit.log" >&2; status=1; }
echo "coverage: integration tests" >&2
# The test binary is built with -cover too: the in-process tests (di.NewCmdForTest) count.
KUBELOGIN_IT_COVERDIR="$out/integration" nice go test -count=1 -timeout 30m -cover -coverpkg="$pkgs" ./integration_test/ \
	-args -test.gocoverdir="$out/integration" >"$out/integration.log" 2>&1 ||
	{ grep -E '^(--- FAIL|FAIL)' "$out/integration.log" >&2; echo "coverage: integration tests failed, see $out/integration.log" >&2; status=1; }
percent() { go tool covdata percent -i="$1" -pkg="$pkgs" | awk '{sub(/%/, "", $3); print $1, $3}' | sort; }
# Every package appears in the merged list; "-" where one kind of test never loads it.
join -a1 -e - -o 0,2.2,1.2 <(percent "$out/unit,$out/integration") <(percent "$out/unit") >"$out/two"
join -a1 -e - -o 0,1.2,2.2,1.3 "$out/two" <(percent "$out/integration") >"$out/table"
go tool covdata textfmt -i="$out/unit,$out/integration" -pkg="$pkgs" -o "$out/coverage.out"
total=$(go tool cover -func="$out/coverage.out" | awk '/^total:/ {print $3}')
printf '%-40s %8s %12s %8s\n' package unit integration merged
sed "s|^$mod/||" "$out/table" | awk 'function p(v) { return v == "-" ? v : v "%" } {printf "%-40s %8s %12s %8s\n", $1, p($2), p($3), p($4)}'
echo "total (merged): $total"
echo "coverage: profile in $out/coverage.out (go tool cover -html=$out/coverage.out)" >&2
exit $status
