#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio.gz
#
# Build the guest's whole root filesystem as an initramfs: static busybox,
# iproute2/ethtool/tcpdump with their shared libraries, the kernel modules
# the tests need, our module and the tests.  Nothing is written into the
# source tree; the staging directory sits next to OUT and is removed.
#
# Environment:
#   MODULE_KO            module to ship as /lib/sdp_toa/sdp_toa.ko
#                        (default: sdp_toa.ko of this tree)
#   GUEST_KERNELRELEASE  kernel whose modules to ship (default: the
#                        module's vermagic)
#   TESTS_SRC            tests directory (default: tests/ of this tree)
#   EXAMPLES_SRC         examples directory (default: examples/); its bin/
#                        (toa_proxy, ...) joins tests/bin/ in /tests/bin
#   EXTRA_GUEST_MODULES  more kernel modules to ship, e.g. "ifb dummy"
#                        (tests/guest/modules, one name a line, is read too)
#   GUEST_MODROOT        root holding lib/modules/<release> of the guest
#                        kernel (default /; scripts/guest-kernel.sh prints it)
#   GUEST_SYSROOT        root of a foreign (e.g. arm64) userland to take
#                        busybox, iproute2, ethtool, tcpdump, setpriv and
#                        their libraries from, instead of this host's
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

out=${1:?usage: mkinitramfs.sh OUT.cpio.gz}
TESTS_SRC=${TESTS_SRC:-$ROOT/tests}
EXAMPLES_SRC=${EXAMPLES_SRC:-$ROOT/examples}
USER_SRC=${USER_SRC:-$ROOT/user}
ver=$(guest_release)
moddir=/lib/modules/$ver
GUEST_MODROOT=${GUEST_MODROOT:-}
GUEST_SYSROOT=${GUEST_SYSROOT:-}
srcmod=$GUEST_MODROOT$moddir	# where the guest kernel's modules are read
modroot_opt=()
[[ -n $GUEST_MODROOT ]] && modroot_opt=(-d "$GUEST_MODROOT")
[[ -d $srcmod/kernel ]] ||
	die "no $srcmod/kernel: install linux-image-$ver (make deps installs linux-image-amd64)"

busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox not found (apt-get install busybox-static)"
# The applet list comes from the host's busybox (same Debian package,
# same configuration); the binary shipped is the sysroot's when there is one.
applets=$("$busybox" --list)
if [[ -n $GUEST_SYSROOT ]]; then
	busybox=$GUEST_SYSROOT/bin/busybox
	[[ -x $busybox ]] || die "no $busybox (scripts/guest-kernel.sh unpacks busybox-static)"
fi
# A dynamic busybox would need its libraries and would silently shadow the
# static one's applet set; insist on busybox-static.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static"
fi

mkdir -p "$(dirname "$out")"
stage=$(mktemp -d "$(dirname "$out")/initramfs.XXXXXX")
# mktemp -d makes it 0700: the guest's / must be readable by non-root users.
chmod 755 "$stage"
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,etc,lib,lib64,proc,sys,tmp,run,root,opt/iproute2,opt/tools}
mkdir -p "$stage"/{lib/modules-extra,lib/sdp_toa,tests/bin,tests/integration,usr/lib}
# Every applet in /bin; the usual other dirs point there, so /sbin/modprobe
# (the kernel's request_module helper) and #!/usr/bin/env work.
ln -s bin "$stage/sbin"
ln -s ../bin "$stage/usr/bin"
ln -s ../bin "$stage/usr/sbin"
mkdir -p "$stage/var" && ln -s ../run "$stage/var/run"	# ip netns uses /var/run/netns
cp "$busybox" "$stage/bin/busybox"
for applet in $applets; do
	[[ $applet == busybox ]] || ln -sf busybox "$stage/bin/$applet"
done

# Copy a dynamically linked program and, at the same absolute paths as on
# this host, every library ldd resolves plus the loader, so the program
# runs in the guest with no ld.so.conf or LD_LIBRARY_PATH.
# With GUEST_SYSROOT, a foreign program: follow its ELF NEEDED entries
# (and interpreter) inside the sysroot instead of asking ldd.
sysroot_real() {	# sysroot_real PATH: PATH with links resolved inside the sysroot
	local p=$1 l n=0
	while [[ -L $p && $n -lt 20 ]]; do
		l=$(readlink "$p")
		case $l in
		/*) p=$GUEST_SYSROOT$l ;;
		*)  p=$(dirname "$p")/$l ;;
		esac
		n=$((n + 1))
	done
	echo "$p"
}
sysroot_lib() {	# sysroot_lib NAME: path (inside the sysroot) of library NAME
	local d
	for d in "$GUEST_SYSROOT"/lib/*-linux-gnu "$GUEST_SYSROOT"/usr/lib/*-linux-gnu \
		 "$GUEST_SYSROOT"/lib "$GUEST_SYSROOT"/usr/lib; do
		[[ -e $d/$1 ]] && { echo "${d#"$GUEST_SYSROOT"}/$1"; return 0; }
	done
	return 1
}
copy_libs_sysroot() {
	local f=$1 lib path interp
	interp=$(readelf -lW "$f" 2>/dev/null |
		 sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	if [[ -n $interp && ! -e $stage$interp ]]; then
		mkdir -p "$stage$(dirname "$interp")"
		cp -L "$(sysroot_real "$GUEST_SYSROOT$interp")" "$stage$interp"
	fi
	for lib in $(readelf -dW "$f" 2>/dev/null |
		     sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		path=$(sysroot_lib "$lib") ||
			die "$lib (needed by $(basename "$f")) not in $GUEST_SYSROOT"
		[[ -e $stage$path ]] && continue
		mkdir -p "$stage$(dirname "$path")"
		cp -L "$(sysroot_real "$GUEST_SYSROOT$path")" "$stage$path"
		copy_libs_sysroot "$stage$path"
	done
}
copy_libs() {
	local f=$1 lib
	if [[ -n $GUEST_SYSROOT ]]; then copy_libs_sysroot "$f"; return; fi
	ldd "$f" >/dev/null 2>&1 || return 0	# static: nothing to do
	for lib in $(ldd "$f" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}'); do
		[[ -e $stage$lib ]] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}
copy_prog() {	# copy_prog PROGRAM DESTDIR
	local p d
	if [[ -n $GUEST_SYSROOT ]]; then
		for d in usr/sbin usr/bin sbin bin; do
			p=$(sysroot_real "$GUEST_SYSROOT/$d/$1")
			[[ -f $p && -x $p ]] && break
			p=
		done
		[[ -n $p ]] || die "$1 not in $GUEST_SYSROOT"
		cp -L "$p" "$stage$2/"
		copy_libs "$p"
		return
	fi
	p=$(command -v "$1" 2>/dev/null || true)
	[[ -z $p && -x /usr/sbin/$1 ]] && p=/usr/sbin/$1
	[[ -n $p ]] || die "$1 not found on this host (make deps)"
	cp -L "$p" "$stage$2/"
	copy_libs "$p"
}
# Not in /bin: busybox sh runs its own "ip"/"tc" applets in preference to
# anything on PATH, so the tests call /opt/iproute2/ip by full path.
for p in ip tc ss; do copy_prog "$p" /opt/iproute2; done
# setpriv: busybox's lacks --reuid/--regid; tests call /opt/tools/setpriv.
for p in ethtool tcpdump setpriv; do copy_prog "$p" /opt/tools; done
# tc's netem delay distribution tables.
for d in "$GUEST_SYSROOT"/usr/lib/*-linux-gnu/tc "$GUEST_SYSROOT"/usr/lib/tc; do
	[[ -d $d ]] || continue
	mkdir -p "$stage${d#"$GUEST_SYSROOT"}" && cp -a "$d/." "$stage${d#"$GUEST_SYSROOT"}/"
done
[[ -d $GUEST_SYSROOT/etc/iproute2 ]] && cp -a "$GUEST_SYSROOT/etc/iproute2" "$stage/etc/"

# Debian's own haproxy and nginx (with its stream module), unmodified, for
# the transparent-source tests (tests/integration/*haproxy*, *nginx*):
# /opt/proxies/{haproxy,nginx}, their libraries at the host's paths. Only
# where this host has them for the guest's architecture (make deps installs
# them; an arm64 guest's tests say SKIP).
if [[ -z $GUEST_SYSROOT ]]; then
	mkdir -p "$stage/opt/proxies"
	for p in haproxy nginx; do
		[[ -x /usr/sbin/$p ]] && copy_prog "$p" /opt/proxies
	done
	for m in /usr/lib/nginx/modules/ngx_stream_module.so; do
		[[ -f $m ]] || continue
		mkdir -p "$stage$(dirname "$m")"
		cp -L "$m" "$stage$m"
		copy_libs "$m"
	done
fi

# Users: root, nobody/nogroup for privilege tests, group toa (4242),
# tcpdump, the user Debian's tcpdump drops to after opening the device, and
# the users Debian's haproxy and nginx run as.
cat >"$stage/etc/passwd" <<'EOT'
root:x:0:0:root:/root:/bin/sh
tcpdump:x:104:104:tcpdump:/nonexistent:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
haproxy:x:105:107::/var/lib/haproxy:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOT
cat >"$stage/etc/group" <<'EOT'
root:x:0:
tcpdump:x:104:
www-data:x:33:
haproxy:x:107:
toa:x:4242:
nogroup:x:65534:
EOT
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$stage/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$stage/etc/hosts"

# ---- kernel modules
# Wanted modules and, recursively, their dependencies, in load order: let
# the host's modprobe resolve them against the guest kernel's modules.dep.
# Our module's own dependencies (modinfo depends=) come along too.
read -r -a wanted <<<"veth sch_netem ${EXTRA_GUEST_MODULES:-}"
if [[ -f $TESTS_SRC/guest/modules ]]; then
	read -r -a more <<<"$(sed 's/#.*//' "$TESTS_SRC/guest/modules" | tr '\n' ' ')"
	wanted+=("${more[@]}")
fi
ko_deps=()
if [[ -f $MODULE_KO ]]; then
	IFS=, read -r -a ko_deps <<<"$(modinfo -F depends "$MODULE_KO")"
	wanted+=("${ko_deps[@]}")
fi
: >"$stage/lib/modules-extra/order"
for m in "${wanted[@]}"; do
	modprobe "${modroot_opt[@]}" -S "$ver" --show-depends "$m" >"$stage/deps.tmp" 2>&1 ||
		die "module $m not found for $ver: $(cat "$stage/deps.tmp")"
	while read -r kind path _; do
		[[ $kind == insmod ]] || continue	# "builtin NAME": nothing to ship
		rel=${path#"$srcmod"/}
		name=$(basename "$path"); name=${name%%.ko*}
		dst=$stage$moddir/${rel%%.ko*}.ko
		[[ -f $dst ]] && continue
		mkdir -p "$(dirname "$dst")"
		# The guest's busybox insmod wants plain .ko files.
		case $path in
		*.ko.xz)  xz -dc "$path" >"$dst" ;;
		*.ko.gz)  gzip -dc "$path" >"$dst" ;;
		*.ko.zst) zstd -qdc "$path" >"$dst" ;;
		*)        cp "$path" "$dst" ;;
		esac
		ln -sf "../modules/$ver/${rel%%.ko*}.ko" "$stage/lib/modules-extra/$name.ko"
		echo "$name" >>"$stage/lib/modules-extra/order"
	done <"$stage/deps.tmp"
done
rm -f "$stage/deps.tmp"
mkdir -p "$stage$moddir"	# nothing shipped yet when all are built in
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[[ -f $srcmod/$f ]] && cp "$srcmod/$f" "$stage$moddir/"
done
# modules.dep for the guest, so busybox modprobe and the kernel's own
# request_module (e.g. "tc qdisc add ... netem") find what we shipped.
depmod -b "$stage" "$ver"

# ---- our module
if [[ -f $MODULE_KO ]]; then
	case $MODULE_KO in	# a DKMS install may have compressed it
	*.xz)  xz -dc "$MODULE_KO" >"$stage/lib/sdp_toa/sdp_toa.ko" ;;
	*.gz)  gzip -dc "$MODULE_KO" >"$stage/lib/sdp_toa/sdp_toa.ko" ;;
	*.zst) zstd -qdc "$MODULE_KO" >"$stage/lib/sdp_toa/sdp_toa.ko" ;;
	*)     cp "$MODULE_KO" "$stage/lib/sdp_toa/sdp_toa.ko" ;;
	esac
	printf '%s\n' "${ko_deps[@]}" >"$stage/lib/sdp_toa/deps"
	# the receiver, built beside it (absent from an older build)
	rko=$(dirname "$MODULE_KO")/sdp_toa_recv.ko
	for r in "$rko" "$rko".xz "$rko".gz "$rko".zst; do
		[[ -f $r ]] || continue
		case $r in
		*.xz)  xz -dc "$r" ;;
		*.gz)  gzip -dc "$r" ;;
		*.zst) zstd -qdc "$r" ;;
		*)     cat "$r" ;;
		esac >"$stage/lib/sdp_toa/sdp_toa_recv.ko"
		break
	done
else
	echo "mkinitramfs: warning: no module at $MODULE_KO; guest gets none" >&2
fi

# ---- tests (written elsewhere; any part may be missing while they are)
# Programs of tests/bin and examples/bin, not their subdirectories (objects,
# host-only unit tests).  Most are static; the dynamic ones (toa_proxy.dynamic,
# libtoa_preload.so for LD_PRELOAD tests) bring their libraries.
shopt -s nullglob
for f in "$TESTS_SRC"/bin/* "$EXAMPLES_SRC"/bin/* "$USER_SRC"/bin/*; do
	[[ -f $f ]] || continue
	cp "$f" "$stage/tests/bin/"
	copy_libs "$f"
done
for f in "$TESTS_SRC"/integration/*.sh; do cp "$f" "$stage/tests/integration/"; done
[[ -f $TESTS_SRC/guest/lib.sh ]] && cp "$TESTS_SRC/guest/lib.sh" "$stage/tests/lib.sh"
shopt -u nullglob

install -m 0755 "$ROOT/scripts/guest-init.sh" "$stage/init"
echo "$ver" >"$stage/etc/sdptoa-kernel"

# ---- pack
# The kernel needs /dev/console in the archive to give /init a console, and
# making the node needs root; write those two entries by hand in cpio's
# "newc" format instead, as a first archive, then append the tree with
# GNU cpio.  The kernel unpacks concatenated archives in order.
newc() {	# newc NAME MODE(octal) INO [RDEVMAJOR RDEVMINOR]
	local name=$1 mode=$((8#$2)) ino=$3 maj=${4:-0} min=${5:-0}
	local nsz=$((${#name} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$ino" "$mode" 0 0 1 0 0 0 0 "$maj" "$min" "$nsz" 0
	printf '%s\0' "$name"
	head -c $(((4 - (110 + nsz) % 4) % 4)) /dev/zero	# pad to 4
}
{
	newc dev 40755 1
	newc dev/console 20600 2 5 1
	newc TRAILER!!! 0 0
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet)
} | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(du -h "$out" | cut -f1), kernel $ver)"
