#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-kernel.sh FLAVOUR
#
# Fetch another Debian 12 kernel (and, for a foreign architecture, the
# guest's userland) from the apt archive into a cache outside the tree, and
# print the variables the bench needs to build for it and boot it:
#
#   KDIR=... KERNELRELEASE=... KIMAGE=... GUEST_ARCH=... GUEST_MODROOT=...
#   [GUEST_SYSROOT=... CROSS_COMPILE=... ARCH=...]
#
# FLAVOUR: arm64 (cross: headers, image, busybox/iproute2/ethtool/tcpdump/
# util-linux and their libraries, all arm64), cloud-amd64, rt-amd64; or
# SUITE/ARCH, the default kernel of another suite of Debian's archive, e.g.
# bullseye/amd64 (Debian 11, 5.10), bookworm-backports/arm64 (6.12): apt
# reads that suite through a private configuration in $SDP_TOA_CACHE/apt-SUITE,
# never the machine's sources; an arm64 one boots with the arm64 userland.
# Nothing is installed into the host: packages are unpacked with dpkg -x
# into $SDP_TOA_CACHE/<flavour>/root (default /var/cache/sdp_toa).  The
# headers' relative links resolve inside that root (the -common headers
# and the amd64 linux-kbuild are unpacked there too).  The host packages it
# needs (cross gcc, qemu-system-arm, dwarves for BTF of 6.12 headers) are
# installed with apt when missing.
# A second run costs a few stat calls.  Progress goes to stderr.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: guest-kernel.sh arm64|cloud-amd64|rt-amd64|SUITE/ARCH}
CACHE=${SDP_TOA_CACHE:-/var/cache/sdp_toa}/$flavour
root=$CACHE/root
say() { echo "guest-kernel: $*" >&2; }

suite=
apt_opts=()
case $flavour in
*/*)	suite=${flavour%/*}
	flavour=${flavour#*/}
	[[ $suite =~ ^[a-z-]+$ ]] || die "bad suite $suite" ;;
esac
case $flavour in
arm64)	arch=arm64; host_pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm dwarves) ;;
amd64|cloud-amd64|rt-amd64) arch=amd64; host_pkgs=(qemu-system-x86 dwarves) ;;
*)	die "unknown flavour $flavour (arm64, cloud-amd64, rt-amd64, SUITE/amd64, SUITE/arm64)" ;;
esac
[[ -n $suite || $flavour != amd64 ]] || die "amd64 alone is make check's kernel"

need_root() {
	((EUID == 0)) || die "$1 (run as root once, or as root: $0 $flavour)"
}

# ---- host packages
missing=()
for p in "${host_pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[[ $st == "ii " ]] || missing+=("$p")
done
if [[ $arch != "$(dpkg --print-architecture)" ]] &&
   ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	need_root "dpkg --add-architecture $arch needed"
	say "dpkg --add-architecture $arch"
	dpkg --add-architecture "$arch"
	updated=0
fi
if ((${#missing[@]})) || [[ ${updated:-1} == 0 ]]; then
	need_root "missing host packages: ${missing[*]:-none}"
	say "installing ${missing[*]:-nothing} (apt-get update first)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	if ((${#missing[@]})); then
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	fi
fi

# wrap_host_tools TMPROOT ROOT: kbuild's host programs (modpost, objtool,
# ...) of a newer suite may need a newer glibc than this machine's (sid's
# want GLIBC_2.38, Debian 12 has 2.36).  Then that suite's libc6 (host
# architecture) is unpacked into ROOT/hostlibc, never installed, and each
# such program is renamed PROG.bin behind a PROG script that runs it with
# that libc's dynamic loader.  Other libraries (libelf, libcrypto) still
# come from this machine.
wrap_host_tools() {
	local tmp=$1 final=$2 have need f ma ld libs n=0
	have=$(getconf GNU_LIBC_VERSION | sed 's/^glibc //')
	need=$(find "$tmp"/usr/lib/linux-kbuild-* -type f -exec sh -c \
		'for f; do objdump -T "$f" 2>/dev/null; done' sh {} + |
		grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1 || true)
	[[ -n $need ]] || return 0
	[[ $(printf '%s\n%s\n' "$need" "$have" | sort -V | tail -n 1) == "$have" ]] &&
		return 0
	say "kbuild's host programs need glibc $need, this machine has $have: using $suite's libc6"
	(cd "$CACHE/debs" && apt-get "${apt_opts[@]}" download -qq \
		-o APT::Sandbox::User=root "libc6:$(dpkg --print-architecture)" >&2) ||
		die "apt-get download libc6 failed"
	mkdir -p "$tmp/hostlibc"
	dpkg -x "$CACHE"/debs/libc6_*.deb "$tmp/hostlibc"
	rm -f "$CACHE"/debs/libc6_*.deb
	ma=$(gcc -print-multiarch)
	ld=$(find "$tmp/hostlibc/usr/lib/$ma" "$tmp/hostlibc/lib/$ma" -maxdepth 1 \
		-name 'ld-linux*.so.*' 2>/dev/null | head -n 1 || true)
	ld=${ld#"$tmp/hostlibc/"}
	[[ -n $ld ]] || die "no dynamic loader in $suite's libc6"
	libs=$final/hostlibc/usr/lib/$ma:$final/hostlibc/lib/$ma:/usr/lib/$ma:/lib/$ma
	while read -r f; do
		{ objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' |
			sed 's/GLIBC_//' | sort -uV | tail -n 1; } >"$tmp/.glibc" || true
		[[ $(printf '%s\n%s\n' "$(cat "$tmp/.glibc")" "$have" | sort -V | tail -n 1) == "$have" ]] &&
			continue
		mv "$f" "$f.bin"
		# shellcheck disable=SC2016 # $0 and $@ are the wrapper's
		printf '#!/bin/sh\n# %s with %s glibc (guest-kernel.sh)\nexec %s --library-path %s --argv0 "$0" "$0.bin" "$@"\n' \
			"$(basename "$f")" "$suite's" "$final/hostlibc/$ld" "$libs" >"$f"
		chmod 755 "$f"
		n=$((n + 1))
	done < <(find "$tmp"/usr/lib/linux-kbuild-* -type f -perm -u+x)
	rm -f "$tmp/.glibc"
	say "$n host programs run with $suite's glibc"
}

# ---- the kernel: the ABI the flavour's metapackage points at
stamp=$CACHE/ready
if [[ ! -f $stamp ]]; then
	need_root "cache $CACHE not prepared yet"
	if [[ -n $suite ]]; then
		a=${SDP_TOA_CACHE:-/var/cache/sdp_toa}/apt-$suite
		mkdir -p "$a/lists/partial" "$a/archives/partial"
		echo "deb [arch=amd64,$arch] http://deb.debian.org/debian $suite main" >"$a/sources.list"
		apt_opts=(-o "Dir::Etc::SourceList=$a/sources.list"
			  -o Dir::Etc::SourceParts=/nonexistent
			  -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a"
			  -o Dir::State::status=/dev/null)
		say "apt-get update for $suite (private lists in $a)"
		apt-get "${apt_opts[@]}" -o APT::Sandbox::User=root update -qq >&2 ||
			die "apt-get update for $suite failed"
	fi
	meta=linux-image-$flavour:$arch
	pkg=$(apt-cache "${apt_opts[@]}" depends "$meta" 2>/dev/null |
	      sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n 1)
	[[ -n $pkg ]] || die "apt knows no $meta (apt-get update?)"
	abi=${pkg#linux-image-}; abi=${abi%-"$flavour"}	# 6.1.0-56
	ver=$abi-$flavour
	hdr=linux-headers-$ver
	# The headers' own dependencies: -common(-rt) (arch all), kbuild.
	common=$(apt-cache "${apt_opts[@]}" depends "$hdr:$arch" |
		 sed -n 's/^ *Depends: <\?\(linux-headers-[^:>]*common[^:>]*\).*/\1/p' | head -n 1)
	kbuild=$(apt-cache "${apt_opts[@]}" depends "$hdr:$arch" |
		 sed -n 's/^ *Depends: \(linux-kbuild-[^:]*\).*/\1/p' | head -n 1)
	[[ -n $common && -n $kbuild ]] || die "cannot resolve the dependencies of $hdr"
	# kbuild runs on this machine: always the host's architecture.
	pkgs=("$pkg:$arch" "$hdr:$arch" "$common" "$kbuild")
	# Newer suites (sid, 7.x) split the image: linux-image-VER only
	# depends on linux-binary-VER (vmlinuz), linux-modules-VER and
	# linux-base-VER.
	while read -r p; do pkgs+=("$p:$arch"); done < <(
		apt-cache "${apt_opts[@]}" depends "$pkg:$arch" |
		sed -n "s/^ *Depends: \(linux-\(binary\|modules\|base\)-$ver\)\(:.*\)\?\$/\1/p" | sort -u)
	if [[ $arch != "$(dpkg --print-architecture)" && -z $suite ]]; then
		tools=(busybox-static iproute2 ethtool tcpdump util-linux)
		pkgs+=("${tools[@]/%/:$arch}")
		# Their shared libraries: the lib*/zlib* part of the dependency closure.
		while read -r p; do pkgs+=("$p"); done < <(
			apt-cache depends --recurse --no-recommends --no-suggests \
				--no-conflicts --no-breaks --no-replaces --no-enhances \
				"${tools[@]/%/:$arch}" |
			grep -E "^(lib|zlib)[^ ]*:$arch\$" | sort -u)
	fi
	mkdir -p "$CACHE/debs"
	say "downloading ${#pkgs[@]} packages into $CACHE/debs"
	(cd "$CACHE/debs" && apt-get "${apt_opts[@]}" download -qq \
		-o APT::Sandbox::User=root "${pkgs[@]}" >&2) ||
		die "apt-get download failed"
	rm -rf "$root.tmp"
	mkdir -p "$root.tmp"
	for d in "$CACHE"/debs/*.deb; do dpkg -x "$d" "$root.tmp"; done
	# Merged /usr (newer suites): /usr/lib/modules/VER, vmlinuz in it.
	# Give the root the usual /lib and /boot names.
	if [[ ! -e $root.tmp/lib && -d $root.tmp/usr/lib/modules/$ver ]]; then
		ln -s usr/lib "$root.tmp/lib"
	fi
	if [[ ! -e $root.tmp/boot/vmlinuz-$ver &&
	      -f $root.tmp/usr/lib/modules/$ver/vmlinuz ]]; then
		mkdir -p "$root.tmp/boot"
		ln -s "../usr/lib/modules/$ver/vmlinuz" "$root.tmp/boot/vmlinuz-$ver"
	fi
	[[ -d $root.tmp/lib/modules/$ver ]] || die "no modules for $ver in $pkg"
	wrap_host_tools "$root.tmp" "$root"
	# Some headers include their -common part by absolute path (bullseye,
	# backports), newer ones name their own directory (KBUILD_OUTPUT=,
	# sid): point them into this root.
	sed -i -e "s|^include /usr/src/|include $root/usr/src/|" \
		-e "s|^KBUILD_OUTPUT=/usr/src/|KBUILD_OUTPUT=$root/usr/src/|" \
		"$root.tmp/usr/src/linux-headers-$ver/Makefile"
	# dpkg -x runs no maintainer scripts: generate modules.dep ourselves.
	depmod -b "$root.tmp" "$ver"
	rm -rf "$root"
	mv "$root.tmp" "$root"
	rm -rf "$CACHE/debs"
	echo "$ver" >"$stamp"
	say "ready: $ver in $root"
fi
ver=$(cat "$stamp")

echo "KERNELRELEASE=$ver"
echo "KDIR=$root/usr/src/linux-headers-$ver"
echo "KIMAGE=$root/boot/vmlinuz-$ver"
echo "GUEST_MODROOT=$root"
echo "GUEST_ARCH=$arch"
if [[ $arch == arm64 ]]; then
	sysroot=$root
	if [[ -n $suite ]]; then	# the kernel from $suite, userland from arm64
		sysroot=$("$0" arm64 | sed -n 's/^GUEST_SYSROOT=//p')
		[[ -n $sysroot ]] || die "preparing the arm64 userland failed"
	fi
	echo "GUEST_SYSROOT=$sysroot"
	echo "ARCH=arm64"
	echo "CROSS_COMPILE=aarch64-linux-gnu-"
fi
