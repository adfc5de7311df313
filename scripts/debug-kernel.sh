#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh: build (once) a Linux 6.1 kernel from Debian's
# linux-source-6.1 with KASAN, lockdep (PROVE_LOCKING/PROVE_RCU),
# DEBUG_ATOMIC_SLEEP and kmemleak, for "make check-debug".
#
# Everything lives in a cache outside the tree:
#   $SDP_TOA_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/sdp_toa)/debug-kernel/
#     src/      the unpacked linux-source tree (read-only use)
#     obj/      O= build directory: bzImage, and KDIR for the module
#     root/     modules_install tree (root/lib/modules/<release>/...)
#     stamp     key of the finished build (tarball + fragment); rebuild
#               when it changes
#     build.log, build-time
# Prints "KDIR=... KIMAGE=... GUEST_MODROOT=... KERNELRELEASE=..." at the end
# (the names scripts/guest-kernel.sh uses).
#
# Usage: debug-kernel.sh [--print]   (--print: only print, fail if not built)
# Environment: JOBS (default nproc), NICE (default 10).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug-kernel.config
cache=${SDP_TOA_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/sdp_toa}/debug-kernel
JOBS=${JOBS:-$(nproc)}
NICE=${NICE:-10}

# A fresh machine has neither linux-source-6.1 nor flex and bison (kconfig
# stopped at "flex: not found"); a second run costs one dpkg-query.
if [[ ${1:-} != --print ]]; then
	"$here/deps.sh" --debug-kernel >&2 || { echo "debug-kernel: installing the kernel build dependencies failed" >&2; exit 1; }
fi
tb=$(ls -1 /usr/src/linux-source-6.1*.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
[[ -n $tb ]] || { echo "debug-kernel: no /usr/src/linux-source-6.1.tar.xz (apt-get install linux-source-6.1)" >&2; exit 1; }
key="$(basename "$tb")-$(stat -c %s-%Y "$tb") $(md5sum <"$frag" | cut -d' ' -f1)"

print() {
	local rel
	rel=$(cat "$cache/obj/include/config/kernel.release")
	echo "KDIR=$cache/obj"
	echo "KIMAGE=$cache/obj/arch/x86/boot/bzImage"
	echo "GUEST_MODROOT=$cache/root"
	echo "KERNELRELEASE=$rel"
}

if [[ -f $cache/stamp && $(cat "$cache/stamp") == "$key" ]]; then
	print
	exit 0
fi
[[ ${1:-} == --print ]] && { echo "debug-kernel: not built yet" >&2; exit 1; }

mkdir -p "$cache"
exec 9>"$cache/lock"
flock -n 9 || { echo "debug-kernel: another build holds $cache/lock; waiting" >&2; flock 9; }
# Someone else may have finished it meanwhile.
if [[ -f $cache/stamp && $(cat "$cache/stamp") == "$key" ]]; then print; exit 0; fi

t0=$(date +%s)
srckey="$(basename "$tb")-$(stat -c %s-%Y "$tb")"
if [[ ! -f $cache/src/.sdptoa-src || $(cat "$cache/src/.sdptoa-src") != "$srckey" ]]; then
	echo "debug-kernel: unpacking $tb"
	rm -rf "$cache/src" "$cache/obj"
	mkdir -p "$cache/src"
	tar -xJf "$tb" -C "$cache/src" --strip-components=1
	echo "$srckey" >"$cache/src/.sdptoa-src"
fi
mkdir -p "$cache/obj"
mk() { nice -n "$NICE" make -C "$cache/src" O="$cache/obj" "$@"; }
echo "debug-kernel: configuring (defconfig + $(basename "$frag"))"
mk -s defconfig
"$cache/src/scripts/kconfig/merge_config.sh" -m -O "$cache/obj" "$cache/obj/.config" "$frag" >/dev/null
mk -s olddefconfig
# Every option the fragment asks for must have survived olddefconfig.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) want=$line ;;
	"# CONFIG_"*" is not set") want=$line ;;
	*) continue ;;
	esac
	if [[ $want == "# "* ]]; then
		opt=${want#\# }; opt=${opt%% *}
		grep -q "^$opt=" "$cache/obj/.config" && { echo "debug-kernel: $opt still set" >&2; missing=1; }
	else
		grep -qxF "$want" "$cache/obj/.config" || { echo "debug-kernel: wanted $want, got: $(grep "^${want%%=*}=" "$cache/obj/.config" || echo unset)" >&2; missing=1; }
	fi
done <"$frag"
((missing == 0)) || { echo "debug-kernel: config does not match the fragment" >&2; exit 1; }

echo "debug-kernel: building with -j$JOBS at nice $NICE (log $cache/build.log)"
if ! mk -j"$JOBS" bzImage modules >"$cache/build.log" 2>&1; then
	tail -n 30 "$cache/build.log" >&2
	exit 1
fi
rm -rf "$cache/root"
mk -s INSTALL_MOD_PATH="$cache/root" INSTALL_MOD_STRIP=1 modules_install >>"$cache/build.log" 2>&1
t1=$(date +%s)
echo "$((t1 - t0))" >"$cache/build-time"
echo "$key" >"$cache/stamp"
echo "debug-kernel: built in $((t1 - t0))s"
print
