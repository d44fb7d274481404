#!/usr/bin/env bash
# Installs the Debian packages leaktop needs to build and test, saying what
# it does. Run as root it installs; otherwise it prints the apt-get line and
# fails. Usage: deps.sh BUILD_DIR PACKAGE...
#
# libunwind: Debian's libunwind-dev (the nongnu libunwind the probe uses)
# conflicts with LLVM's libunwind-14-dev. When the latter is installed we do
# not remove it: we unpack libunwind-dev's headers into BUILD_DIR/deps and
# build against those; the probe loads libunwind.so.8 at run time.
set -euo pipefail
build=$1
shift

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

missing=()
for p in "$@"; do
	installed "$p" || missing+=("$p")
done
unwind_local=0
if ! installed libunwind-dev; then
	if installed libunwind-14-dev; then
		unwind_local=1
	else
		missing+=(libunwind-dev)
	fi
fi
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
if [ $unwind_local = 1 ] && [ -f "$build/deps/usr/include/$multiarch/libunwind.h" ]; then
	unwind_local=0
fi

if [ ${#missing[@]} -eq 0 ] && [ $unwind_local = 0 ]; then
	echo "deps: all Debian packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages; run as root:" >&2
	[ ${#missing[@]} -gt 0 ] && echo "  apt-get install -y ${missing[*]}" >&2
	[ $unwind_local = 1 ] && echo "  (and libunwind-dev headers: run 'make deps' as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update"
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $unwind_local = 1 ]; then
	echo "deps: libunwind-14-dev is installed and conflicts with libunwind-dev;"
	echo "deps: unpacking libunwind-dev's headers into $build/deps instead"
	mkdir -p "$build/deps"
	(cd "$build/deps" && rm -f libunwind-dev_*.deb && apt-get download -qq libunwind-dev &&
		dpkg-deb -x libunwind-dev_*.deb .)
fi
echo "deps: done"
