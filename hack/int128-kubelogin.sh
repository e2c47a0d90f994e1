#!/bin/sh
# Builds int128/kubelogin (the incumbent) for the side-by-side benchmark, with
# the release build flags ours uses (CGO off, -trimpath, -s -w), and prints the
# binary's path. It is built in a throwaway module in the tools cache, never in
# our go.mod, and reused when already there (a cold build takes about 30 s).
#
#   hack/int128-kubelogin.sh            # prints $CACHE/bin/int128-kubelogin-v1.36.3
#
# CACHE is ${KUBELOGIN_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelogin-test}.
set -eu
VERSION=${INT128_KUBELOGIN_VERSION:-v1.36.3}
CACHE="${KUBELOGIN_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelogin-test}"
bin="$CACHE/bin/int128-kubelogin-$VERSION"
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
mod="$CACHE/int128-kubelogin-$VERSION"
mkdir -p "$mod" "$CACHE/bin"
cd "$mod"
# go install …@version fails: the proxy refuses the module's version list.
printf 'module x/int128build\n\ngo 1.26\n\nrequire github.com/int128/kubelogin %s\n' "$VERSION" >go.mod
printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/int128/kubelogin"\n' >tools.go
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0
go mod tidy >&2
# Built under a temporary name and moved into place, so that an interrupted
# build is never taken for a finished one.
go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$bin.tmp" github.com/int128/kubelogin >&2
mv "$bin.tmp" "$bin"
echo "$bin"
