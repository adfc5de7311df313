# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the bench scripts (sourced, not run).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
MODULE_KO=${MODULE_KO:-$ROOT/sdp_toa.ko}

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# Ask the Makefile (one source of truth for the KDIR fallback) unless the
# caller (make check exports both) already knows.
resolve_kernel() {
	if [[ -z ${KDIR:-} || -z ${KERNELRELEASE:-} ]]; then
		local line
		while read -r line; do
			case $line in
			KDIR=*|KERNELRELEASE=*) export "${line?}" ;;
			esac
		done < <(make -s --no-print-directory -C "$ROOT" kenv 2>/dev/null)
	fi
}

# The kernel the guest must boot: the one the module was built for (its
# vermagic), so a module from any KDIR or a DKMS install just works;
# without a module, the one the Makefile would build for.
guest_release() {
	local rel=
	if [[ -n ${GUEST_KERNELRELEASE:-} ]]; then
		echo "$GUEST_KERNELRELEASE"; return
	fi
	if [[ -f $MODULE_KO ]]; then
		rel=$(modinfo -F vermagic "$MODULE_KO" 2>/dev/null | awk '{print $1}')
	fi
	if [[ -z $rel ]]; then
		resolve_kernel
		rel=${KERNELRELEASE:-}
	fi
	[[ -n $rel ]] || die "cannot tell which kernel the guest should boot"
	echo "$rel"
}

# ---- verdicts (check.sh, check-kernel.sh): callers set npass=0 nfail=0
# (nskip counts tests that did not apply: never a pass)
pass() { echo "PASS $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
skip() { echo "SKIP $1: $2"; nskip=$((${nskip:-0} + 1)); }
# The closing line of make check and check-kernel.sh.
summary() { echo "$npass passed, $nfail failed, ${nskip:-0} skipped"; }
show_tail() { tail -n "${2:-30}" "$1" | sed 's/^/    | /'; echo "    (full log: $1)"; }

# Count the "PASS name" / "FAIL name: why" / "SKIP name: why" lines a step
# printed into $1;
# if it exited non-zero ($3) without any, the step as a whole ($2) failed.
tally() {
	local log=$1 name=$2 rc=$3 counted=0 line rest
	while IFS= read -r line; do
		case $line in
		"PASS "*) counted=1; pass "${line#PASS }" ;;
		"SKIP "*)
			counted=1
			rest=${line#SKIP }
			skip "${rest%%: *}" "${rest#*: }"
			;;
		"FAIL "*)
			counted=1
			rest=${line#FAIL }
			fail "${rest%%: *}" "${rest#*: }"
			;;
		"    "*) echo "$line" ;;	# details under a FAIL line
		esac
	done <"$log"
	if ((rc != 0 && counted == 0)); then
		fail "$name" "exited $rc"
		show_tail "$log" 20
	fi
}

