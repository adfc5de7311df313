#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kdir.sh            print the newest installed Debian kernel build dir
#                    (nothing, exit 1, when there is none)
# kdir.sh --release DIR
#                    print the kernel release DIR builds for
#
# Used by the top Makefile when /lib/modules/$(uname -r)/build is missing.
set -euo pipefail

if [[ ${1:-} == --release ]]; then
	dir=${2:?usage: kdir.sh --release KDIR}
	# Not include/config/kernel.release: Debian's headers put the upstream
	# version there (6.1.192), while vermagic and /lib/modules use the
	# Debian one (6.1.0-56-amd64), which is UTS_RELEASE.
	f=$dir/include/generated/utsrelease.h
	[[ -r $f ]] || { echo "kdir.sh: $f missing" >&2; exit 1; }
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$f"
	exit 0
fi

# Candidates: build links of installed module trees and Debian amd64 header
# packages that are complete (configured, not half unpacked).  Newest wins,
# but headers whose kernel is installed (/boot/vmlinuz-<release>) come
# first: the bench must boot the kernel it builds for.
for d in /lib/modules/*/build /usr/src/linux-headers-*-amd64; do
	[[ -f $d/Makefile && -r $d/include/generated/utsrelease.h &&
	   -f $d/include/config/auto.conf ]] || continue
	rel=$("$0" --release "$d") || continue
	bootable=0
	[[ -f /boot/vmlinuz-$rel ]] && bootable=1
	printf '%s %s %s\n' "$bootable" "$rel" "$(readlink -f "$d")"
done | sort -k1,1n -k2,2V | tail -n 1 | {
	read -r _ _ best || exit 1
	echo "$best"
}
