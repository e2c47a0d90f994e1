#!/usr/bin/env bash
# make demo: build kubelogin and the bundled demo provider, then log in for real
# (authorization code + PKCE through the loopback server) and print the
# ExecCredential that kubectl would receive. The demo provider approves by
# itself, and acts as the "browser" too, so this works on a machine with none.
set -euo pipefail
cd "$(dirname "$0")/.."

# The first build on a fresh machine downloads the modules and compiles
# everything (about a minute on two cores); later ones take a second or two.
demo_start=$(date +%s)
echo "== Building bin/kubelogin and bin/oidc-demo-provider (the first time, with no module or build cache, takes a minute or more)"
build_start=$(date +%s)
make --no-print-directory build >/dev/null
go build -o bin/oidc-demo-provider ./cmd/oidc-demo-provider
echo "   (built in $(( $(date +%s) - build_start )) s)"

work=$(mktemp -d)
provider_pid=
cleanup() {
  [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bin/oidc-demo-provider --addr 127.0.0.1:0 >"$work/provider.out" 2>"$work/provider.log" &
provider_pid=$!
for _ in $(seq 50); do
  grep -q '^issuer=' "$work/provider.out" 2>/dev/null && break
  sleep 0.1
done
issuer=$(sed -n 's/^issuer=//p' "$work/provider.out")
[ -n "$issuer" ] || { echo "demo provider did not start:"; cat "$work/provider.log"; exit 1; }

run() {
  bin/kubelogin get-token \
    --oidc-issuer-url="$issuer" \
    --oidc-client-id=kubelogin-demo \
    --oidc-use-pkce \
    --token-cache-dir="$work/cache" \
    --listen-address=127.0.0.1:0 \
    --browser-command="$PWD/bin/oidc-demo-provider" "$@"
}

echo "== Demo provider at $issuer"
echo "== 1. First run: logs in through the (scripted) browser"
KUBERNETES_EXEC_INFO='{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}' run
echo "== 2. Second run: answered from the token cache, no browser, no network"
start=$(date +%s%N)
run >/dev/null
echo "   (took $(( ($(date +%s%N) - start) / 1000000 )) ms)"
echo "== 3. Forced refresh: the refresh token is used, no browser"
run --force-refresh -v1 2>&1 >/dev/null | grep -E 'refresh' || true
echo "== Done in $(( $(date +%s) - demo_start )) s. In a kubeconfig, point users[].user.exec at kubelogin get-token (see README.md)."
