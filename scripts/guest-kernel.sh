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
	[[ -d $root.tmp/lib/modules/$ver ]] || die "no modules for $ver in $pkg"
	# Some headers include their -common part by absolute path (bullseye,
	# backports): point it into this root.
	sed -i "s|^include /usr/src/|include $root/usr/src/|" \
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
