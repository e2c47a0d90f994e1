#!/usr/bin/env bash
# wine-test.sh proves the windows/amd64 release binary under Debian's Wine:
# it serves a cached token, five concurrent runs on an expired token make one
# refresh, and clean works (see hack/winetest). Run after `make
# release-snapshot`, or give the binary:
#
#   hack/wine-test.sh [path/to/kubelogin.exe]
#
# It installs wine64 and the MinGW binutils when they are missing (about 40 s
# and 35 s on a fresh Debian 12). The binutils assemble a stand-in for
# bcryptprimitives.dll, which Debian 12's Wine 8.0 lacks (Wine 9 has it) and
# without which no Go 1.22+ Windows program starts ("fatal error:
# bcryptprimitives.dll not found"): Windows 10 and later ship it. The stand-in
# exports the one function Go calls, ProcessPrng, as RtlGenRandom
# (advapi32!SystemFunction036), which Wine has.
set -euo pipefail
cd "$(dirname "$0")/.."

exe=${1:-dist/kubelogin_windows_amd64_v1/kubelogin.exe}
[ -f "$exe" ] || { echo "wine-test.sh: $exe not found (run make release-snapshot, or give the path)" >&2; exit 1; }

missing=()
[ -x /usr/lib/wine/wine64 ] || missing+=(wine64)
command -v x86_64-w64-mingw32-as >/dev/null || missing+=(binutils-mingw-w64-x86-64)
if [ ${#missing[@]} -gt 0 ]; then
  start=$(date +%s)
  as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/wine-test-apt.log 2>&1 ||
    { "${as_root[@]}" apt-get update >/dev/null && "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/wine-test-apt.log 2>&1; } ||
    { tail -20 /tmp/wine-test-apt.log; exit 1; }
  echo "wine-test.sh: installed ${missing[*]} in $(( $(date +%s) - start )) s"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/stub.s" <<'EOF'
	.text
	.globl	ProcessPrng
ProcessPrng:                       # BOOL ProcessPrng(PBYTE data, SIZE_T len)
	subq	$40, %rsp                  # shadow space, stack aligned
	call	*__imp_SystemFunction036(%rip)  # BOOLEAN RtlGenRandom(PVOID, ULONG)
	movzbl	%al, %eax
	addq	$40, %rsp
	ret
	.globl	DllMain
DllMain:
	movl	$1, %eax
	ret
EOF
printf 'LIBRARY advapi32.dll\nEXPORTS\nSystemFunction036\n' >"$work/advapi32.def"
printf 'LIBRARY bcryptprimitives.dll\nEXPORTS\nProcessPrng\n' >"$work/bcryptprimitives.def"
x86_64-w64-mingw32-dlltool -d "$work/advapi32.def" -l "$work/libadvapi32.a"
x86_64-w64-mingw32-as -o "$work/stub.o" "$work/stub.s"
x86_64-w64-mingw32-ld --dll -e DllMain --subsystem windows -o "$work/bcryptprimitives.dll" \
  "$work/stub.o" "$work/bcryptprimitives.def" "$work/libadvapi32.a"

echo "wine-test.sh: $(/usr/lib/wine/wine64 --version), $exe"
go run ./hack/winetest -exe "$exe" -wine /usr/lib/wine/wine64 -system32 "$work/bcryptprimitives.dll"
