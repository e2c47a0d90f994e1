#!/bin/sh
# Runs the tests that need an OS keyring (go test -run Keyring) against a
# throwaway GNOME Keyring on a private D-Bus session bus, so that they neither
# skip nor touch your own keyring. Needs: dbus-run-session, gnome-keyring-daemon
# (Debian/Ubuntu: apt-get install --no-install-recommends gnome-keyring dbus dbus-daemon).
#
#   hack/keyring-test.sh                 # the keyring tests of every package
#   hack/keyring-test.sh ./integration_test/ -v
set -eu
cd "$(dirname "$0")/.."
for tool in dbus-run-session gnome-keyring-daemon go; do
	command -v "$tool" >/dev/null || { echo "keyring-test: $tool is not installed" >&2; exit 1; }
done
pkgs="./..."
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then pkgs=$1; shift; fi

# A fresh HOME keeps the test keyring apart from yours; keep Go's caches.
GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE) GOPATH=$(go env GOPATH)
export GOCACHE GOMODCACHE GOPATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/data" "$tmp/cache" "$tmp/run"
chmod 0700 "$tmp/run"
export HOME="$tmp" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run"

# An empty unlock password would need a prompt (a display); any other works.
exec dbus-run-session -- sh -c '
	printf "keyring-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
	exec go test -race -count=1 -run Keyring "$@"
' keyring-test "$pkgs" "$@"
