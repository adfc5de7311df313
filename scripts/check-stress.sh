#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-stress.sh: "make check-stress".  The hardening tests
# (tests/integration/*-hard-*.sh) in their long form, booted on the kernel
# make check uses: 50 MB transfers at MTU 1500/1280, 50 rmmod/insmod cycles
# under load, 20,000 tagged connections ending every way then 20,000
# untagged ones, 60 s of concurrent re-tagging, 60 back-to-back
# rmmod/insmod cycles under tagged traffic, ... (~30-40 min in the TCG
# guest).  make check runs the same tests in their short form.
#
# Then the reload cycle test (67-hard-cycle) boots again on its own,
# CYCLE_BOOTS more times (default 4: 5 boots, 300 cycles in all, ~5 min a
# boot): a reload race is a matter of timing, and each boot lays out
# memory and timing anew.
#
# The module and the programs are built in build/kernel-<release>/
# (scripts/check-kernel.sh), never in the tree.  Environment: KDIR= /
# KIMAGE= / GUEST_MODROOT= for another kernel; STRESS_TEST_TIMEOUT (per
# test, default 3600 s); anything run-guest.sh reads.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

resolve_kernel
export KDIR KERNELRELEASE
export GUEST_TIMEOUT=${GUEST_TIMEOUT:-14400}
export GUEST_MEM=${GUEST_MEM:-2G}
export GUEST_APPEND="sdptoa.only=-hard- sdptoa.stress=1 sdptoa.test_timeout=${STRESS_TEST_TIMEOUT:-3600} ${GUEST_APPEND:-}"
t0=$(date +%s)
scripts/check-kernel.sh
rc=$?
base_append=$GUEST_APPEND
for ((b = 2; b <= 1 + ${CYCLE_BOOTS:-4}; b++)); do
	echo "== check-stress: reload cycles, boot $b"
	GUEST_APPEND="$base_append sdptoa.only=67-hard-cycle" scripts/check-kernel.sh || rc=1
done
echo "== check-stress: $(($(date +%s) - t0))s in all"
exit $rc
