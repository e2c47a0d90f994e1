#!/usr/bin/env bash
# Mutation testing with gremlins: each package's unit tests against mutants of
# its code (negated conditions, moved boundaries, changed arithmetic). Reports
# efficacy (killed / (killed + lived)) and mutant coverage per package; the
# figures and the survivors judged harmless are in docs/security.md.
# Slow: one package at a time, one worker. Not part of CI.
#
#   hack/mutation.sh                          # the five packages of docs/security.md
#   hack/mutation.sh ./internal/execcred      # one package
#   MUTATION_OUT=/tmp/m hack/mutation.sh      # keep the JSON results there
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${KUBELOGIN_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelogin-test}
version=v0.6.0
gremlins=$tools/bin/gremlins-$version # it reports its version as "dev"
if [ ! -x "$gremlins" ]; then
	# Built in a throwaway module so that it never enters go.mod.
	tmp=$(mktemp -d)
	(cd "$tmp" && go mod init tmp/gremlins >/dev/null 2>&1 &&
		GOBIN=$tmp/bin go install "github.com/go-gremlins/gremlins/cmd/gremlins@$version")
	mkdir -p "$tools/bin" && mv "$tmp/bin/gremlins" "$gremlins"
	rm -rf "$tmp"
fi
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./internal/tokencache ./internal/execcred ./internal/kubeconfig ./internal/oidc ./internal/grant)
out=${MUTATION_OUT:-$(mktemp -d)}
mkdir -p "$out"
status=0
for pkg in "${pkgs[@]}"; do
	name=$(basename "$pkg")
	# A mutant counts as killed when its test run fails for any reason: the
	# package's tests must pass unmutated first.
	if ! go test -count=1 "$pkg" >"$out/$name.log" 2>&1; then
		echo "mutation: the tests of $pkg fail without any mutant, see $out/$name.log" >&2
		status=1
		continue
	fi
	# gremlins works on copies of the module; the tree is never changed.
	# No --test-cpu: gremlins v0.6.0 passes it as one argument ("-cpu 1"), go test
	# refuses it, and every mutant then counts as killed.
	if ! nice "$gremlins" unleash --workers 1 --timeout-coefficient 10 \
		--output "$out/$name.json" "$pkg" >"$out/$name.log" 2>&1; then
		echo "mutation: gremlins failed on $pkg, see $out/$name.log" >&2
		status=1
		continue
	fi
	grep -E '^(Killed|Timed out|Mutator coverage|Test efficacy)' "$out/$name.log" | sed "s|^|$name: |"
	grep -E '^ *LIVED ' "$out/$name.log" | sed "s|^ *|$name: |" || true
done
echo "mutation: results in $out"
exit $status
