#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the test bench needs (Debian 12).  Asks apt only when a
# package is missing, so a second run costs one dpkg-query.
#
# Why each package is here (a fresh CI machine has only gcc and make):
#   linux-image-amd64      the guest kernel (/boot/vmlinuz-*) and its modules
#                          (veth, sch_netem) for the initramfs
#   linux-headers-amd64    to build the module against
#   qemu-system-x86        boots the guest (TCG)
#   busybox-static         the guest's userland (shell, insmod, timeout, ...)
#   iproute2 tcpdump ethtool   copied into the guest for the tests
#   linux-source-6.1       source of scripts/checkpatch.pl
#   libcmocka-dev          unit tests (tests/)
#   libc6-dev              static test programs need libc.a
#   cpio gzip              pack the initramfs
#   kmod                   modinfo/depmod to find module dependencies
#   xz-utils               unpack linux-source-6.1.tar.xz (and any .ko.xz)
#   perl                   checkpatch.pl (needs more than perl-base)
#   make gcc               the module build itself
#   haproxy nginx-light libnginx-mod-stream   Debian's own proxies, copied
#                          unmodified into the guest for the transparent-
#                          source tests (tests/integration/*haproxy*, *nginx*);
#                          their services are not used on the host
#
# With --debug-kernel, also what building a kernel from linux-source-6.1
# needs (scripts/debug-kernel.sh, make check-debug):
#   flex bison             kconfig's parsers and the dtc/genksyms lexers
#   bc                     kernel/time/timeconst.h
#   libelf-dev             objtool (ORC unwinder, x86 static calls)
#   libssl-dev             scripts/sign-file, certs/extract-cert
set -euo pipefail

pkgs=(linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static
      iproute2 tcpdump ethtool linux-source-6.1 libcmocka-dev libc6-dev
      cpio gzip kmod xz-utils perl make gcc
      haproxy nginx-light libnginx-mod-stream)
if [[ ${1:-} == --debug-kernel ]]; then
	pkgs+=(flex bison bc libelf-dev libssl-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
	# "ii " = wanted install, installed; anything else needs apt.
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[[ $st == "ii " ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if ((EUID != 0)); then
	echo "deps: missing: ${missing[*]}" >&2
	echo "deps: run as root:  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive ${cmd[*]}" >&2
	exit 1
fi

echo "deps: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The proxies' packages start their services on install: not wanted on a
# build machine (port 80, a running haproxy). Where no policy says so
# already, forbid service starts for this install only (Debian's
# policy-rc.d convention, exit 101), and remove that again.
policy=
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# scripts/deps.sh of sdp_toa, for one apt-get install\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update
"${cmd[@]}"
