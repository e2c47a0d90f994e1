#!/usr/bin/env bash
# install.sh prepares everything the acceptance suite runs for real:
#
#   Debian packages  chromium, etcd-server, openssl, and for the keyring
#                    scenario gnome-keyring, dbus, dbus-daemon, libsecret-tools
#   $CACHE/bin/dex             Dex v2.45.1, built in a throwaway module
#   $CACHE/bin/kube-apiserver  kube-apiserver v1.37.2, built in a throwaway module
#   $CACHE/bin/etcd            only when the etcd-server package is unavailable
#   $CACHE/oidc-provider/node_modules  oidc-provider 9.13.3 (npm), the second
#                    provider: it has the client_credentials grant Dex lacks
#   $CACHE/keycloak/keycloak-26.4.7  the Keycloak server distribution (Maven,
#                    org.keycloak:keycloak-quarkus-dist), built once for an
#                    optimized `kc.sh start` (dev-file database)
#
# CACHE is ${KUBELOGIN_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelogin-test}.
# The script is idempotent: packages already installed and binaries already
# built are reused, so a warm run takes well under a second. Binaries are built
# under a temporary name and moved into place, so an interrupted build is never
# mistaken for a finished one.
#
# A failed kube-apiserver build does not fail the script: the suite notices the
# missing binary and falls back, loudly, to its in-process stand-in. Nor does a
# failed Keycloak install: the script says why, and the Keycloak scenarios
# fail with that hint while the others run. Any other failure exits non-zero.
set -euo pipefail

DEX_VERSION=v2.45.1
DEX_PSEUDO=v0.0.0-20260303133905-11d2eeb52b42
KUBE_VERSION=v1.37.2
KUBE_STAGING=v0.37.2
ETCD_VERSION=v3.6.16
OIDC_PROVIDER_VERSION=9.13.3
# The suite reads the Keycloak version from the stamp file; change it here only.
KEYCLOAK_VERSION=26.4.7

CACHE="${KUBELOGIN_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelogin-test}"
mkdir -p "$CACHE/bin"
export GOWORK=off GOFLAGS=-mod=mod

log() { printf 'install.sh: %s\n' "$*" >&2; }

# step NAME COMMAND... runs a step and prints how long it took.
step() {
	local name=$1 start end ms rc=0
	shift
	start=$(date +%s%N)
	"$@" || rc=$?
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	if [ "$rc" -eq 0 ]; then
		log "$(printf '%-16s %4d.%03ds' "$name" $((ms / 1000)) $((ms % 1000)))"
	else
		log "$(printf '%-16s FAILED after %d.%03ds (exit %d)' "$name" $((ms / 1000)) $((ms % 1000)) "$rc")"
	fi
	return "$rc"
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# packages installs the Debian packages that are not installed yet.
packages() {
	local missing=() plain=() p
	for p in chromium etcd-server openssl gnome-keyring dbus dbus-daemon libsecret-tools; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		log "packages: all present"
		return 0
	fi
	log "packages: installing ${missing[*]}"
	as_root apt-get update -qq
	# Chromium with its recommended fonts; the rest without recommends.
	for p in "${missing[@]}"; do
		case $p in
		chromium) as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ;;
		etcd-server) as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null ||
			log "packages: etcd-server unavailable, etcd $ETCD_VERSION will be built" ;;
		*) plain+=("$p") ;;
		esac
	done
	if [ ${#plain[@]} -gt 0 ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${plain[@]}" >/dev/null
	fi
	# The Debian package starts a system etcd on 2379; the suite runs its own.
	if command -v systemctl >/dev/null 2>&1; then as_root systemctl disable --now etcd >/dev/null 2>&1 || true; fi
}

# build_dex builds Dex in $CACHE/dex (Dex's go.mod has replace directives, so
# `go install` cannot build it).
build_dex() {
	if [ -x "$CACHE/bin/dex" ]; then
		log "dex: reusing $CACHE/bin/dex"
		return 0
	fi
	mkdir -p "$CACHE/dex"
	cd "$CACHE/dex"
	printf 'module x/dexbuild\n\ngo 1.26\n\nrequire github.com/dexidp/dex %s\n' "$DEX_PSEUDO" >go.mod
	printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/dexidp/dex/cmd/dex"\n' >tools.go
	go mod tidy
	go build -ldflags "-X main.version=$DEX_VERSION" -o "$CACHE/bin/dex.tmp" github.com/dexidp/dex/cmd/dex
	mv "$CACHE/bin/dex.tmp" "$CACHE/bin/dex"
}

# build_kube_apiserver builds kube-apiserver in $CACHE/kube-apiserver, repeating
# Kubernetes' own replace block against the published staging versions.
build_kube_apiserver() {
	if [ -x "$CACHE/bin/kube-apiserver" ]; then
		log "kube-apiserver: reusing $CACHE/bin/kube-apiserver"
		return 0
	fi
	mkdir -p "$CACHE/kube-apiserver"
	cd "$CACHE/kube-apiserver"
	local mod
	mod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
	{
		printf 'module x/kapi\n\ngo 1.26\n\ngodebug default=go1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
		sed -n '/^replace (/,/^)/p' "$mod" | grep '=>' | grep -v 'sample-cli-plugin\|sample-controller' |
			awk -v v="$KUBE_STAGING" '{print "\t"$1" => "$1" "v}'
		printf ')\n'
	} >go.mod
	printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' >tools.go
	go mod tidy
	go build -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
-X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION" \
		-o "$CACHE/bin/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
	mv "$CACHE/bin/kube-apiserver.tmp" "$CACHE/bin/kube-apiserver"
}

# build_etcd builds etcd only when no etcd is on PATH (the Debian package failed).
build_etcd() {
	if command -v etcd >/dev/null 2>&1; then
		log "etcd: using $(command -v etcd)"
		return 0
	fi
	if [ -x "$CACHE/bin/etcd" ]; then
		log "etcd: reusing $CACHE/bin/etcd"
		return 0
	fi
	mkdir -p "$CACHE/etcd"
	cd "$CACHE/etcd"
	printf 'module x/etcdbuild\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >go.mod
	printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
	go mod tidy
	go build -o "$CACHE/bin/etcd.tmp" go.etcd.io/etcd/server/v3
	mv "$CACHE/bin/etcd.tmp" "$CACHE/bin/etcd"
}

# install_oidc_provider installs oidc-provider with npm into
# $CACHE/oidc-provider/node_modules. A stamp file written after npm succeeded
# marks it done (an interrupted install is never mistaken for a finished
# one), so a warm run does not start npm. npm would warn on Node 20 that
# oidc-provider prefers Node 22; it runs fine.
install_oidc_provider() {
	local dir="$CACHE/oidc-provider"
	local stamp="$dir/installed-$OIDC_PROVIDER_VERSION"
	if [ -f "$stamp" ] && [ -f "$dir/node_modules/oidc-provider/package.json" ]; then
		log "oidc-provider: reusing $OIDC_PROVIDER_VERSION in $dir/node_modules"
		return 0
	fi
	command -v node >/dev/null 2>&1 || { log "oidc-provider: node is not on PATH"; return 1; }
	command -v npm >/dev/null 2>&1 || { log "oidc-provider: npm is not on PATH"; return 1; }
	mkdir -p "$dir"
	cd "$dir"
	rm -f installed-*
	[ -f package.json ] || printf '{"name": "kubelogin-acceptance-oidc-provider", "private": true}\n' >package.json
	npm install --no-audit --no-fund --save-exact --loglevel=error "oidc-provider@$OIDC_PROVIDER_VERSION"
	touch "$stamp"
}

# install_keycloak fetches the Keycloak distribution with Maven (the only
# download), unpacks it into $CACHE/keycloak/keycloak-$KEYCLOAK_VERSION and
# runs `kc.sh build` once, so that the suite starts it with `start
# --optimized` (no Quarkus re-augmentation at each start). A stamp file
# written after the build marks it done; it names the version, which the
# suite reads. The build options must match harness/keycloak.go's start.
install_keycloak() {
	local dir="$CACHE/keycloak"
	local home="$dir/keycloak-$KEYCLOAK_VERSION"
	local stamp="$dir/installed"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$KEYCLOAK_VERSION" ] && [ -x "$home/bin/kc.sh" ]; then
		log "keycloak: reusing $KEYCLOAK_VERSION in $home"
		return 0
	fi
	command -v mvn >/dev/null 2>&1 || { log "keycloak: mvn is not on PATH (apt-get install maven)"; return 1; }
	command -v java >/dev/null 2>&1 || { log "keycloak: java is not on PATH (Keycloak $KEYCLOAK_VERSION needs Java 17 or 21)"; return 1; }
	mkdir -p "$dir"
	rm -f "$stamp"
	rm -rf "$home" "$dir/download"
	mvn -q -B -Dstyle.color=never dependency:copy "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
		"-DoutputDirectory=$dir/download" ||
		{ log "keycloak: mvn could not fetch org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz"; return 1; }
	tar -xzf "$dir/download/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" -C "$dir"
	rm -rf "$dir/download"
	"$home/bin/kc.sh" build --db=dev-file --health-enabled=false --metrics-enabled=false >"$dir/build.log" 2>&1 ||
		{ log "keycloak: kc.sh build failed ($(java -version 2>&1 | head -1)); its output:"; tail -20 "$dir/build.log" >&2; return 1; }
	printf '%s\n' "$KEYCLOAK_VERSION" >"$stamp"
}

total_start=$(date +%s)
log "cache: $CACHE"
step packages packages
step etcd build_etcd
step dex build_dex
step oidc-provider install_oidc_provider
step keycloak install_keycloak ||
	log "WARNING: WARNING: Keycloak could not be installed (see above); the Keycloak scenarios will fail, the others run"
step kube-apiserver build_kube_apiserver ||
	log "WARNING: kube-apiserver could not be built; the suite will fall back to its OIDC stand-in"
log "done in $(($(date +%s) - total_start))s"
