#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh: "make check-debug".  The whole integration suite, the
# hardening tests included, on a Linux 6.1 kernel with KASAN, lockdep
# (PROVE_LOCKING, PROVE_RCU), DEBUG_ATOMIC_SLEEP, DEBUG_LIST, debug objects
# and kmemleak, booted under QEMU like make check's guest.  Any report of
# theirs fails the run (dmesg-clean; 99-hard-kmemleak scans kmemleak
# explicitly at the end).
#
# The kernel is built once from Debian's linux-source-6.1 into a cache
# outside the tree (scripts/debug-kernel.sh: ~35 min on 2 shared cores);
# later runs reuse it.  The module and the test programs are built against
# it in build/kernel-<release>/ (scripts/check-kernel.sh), never in the tree.
#
# Environment:
#   STRESS=1         the hardening tests in their long form (make
#                    check-stress's numbers; several hours under KASAN)
#   GUEST_MEM        guest RAM (default 2G: KASAN shadow, kmemleak)
#   GUEST_TIMEOUT    whole run (default 6 h), DEBUG_TEST_TIMEOUT per test
#                    (default 5400 s; 7200 s with STRESS=1: 67-hard-cycle
#                    did 14 of its 30 reload cycles in 1800 s there, each
#                    rmmod waiting minutes for Tasks RCU)
#   anything run-guest.sh reads
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

t0=$(date +%s)
if ! env_lines=$(scripts/debug-kernel.sh); then
	echo "FAIL debug-kernel: building the debug kernel failed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
while read -r line; do
	case $line in
	KDIR=*|KIMAGE=*|GUEST_MODROOT=*|KERNELRELEASE=*) export "${line?}" ;;
	esac
done <<<"$env_lines"
echo "== debug kernel $KERNELRELEASE ready in $(($(date +%s) - t0))s (KDIR=$KDIR)"

if [[ ${STRESS:-0} == 1 ]]; then
	tt=${DEBUG_TEST_TIMEOUT:-7200}
	append="sdptoa.stress=1"
else
	tt=${DEBUG_TEST_TIMEOUT:-5400}
	append=
fi
export GUEST_MEM=${GUEST_MEM:-2G}
export GUEST_TIMEOUT=${GUEST_TIMEOUT:-21600}
# hung_task: the guest panics on a task blocked for longer (run-guest.sh
# sets hung_task_panic=1).  Its 120 s default is too short for this
# kernel under TCG: an rmmod waits in several Tasks RCU grace periods
# (ftrace_shutdown), each of which took 37-117 s here with the host
# loaded, once more than 123 s; 900 s still catches a real deadlock.
export GUEST_APPEND="sdptoa.test_timeout=$tt sysctl.kernel.hung_task_timeout_secs=900 $append ${GUEST_APPEND:-}"
# A debug kernel under TCG now and then dies in early boot (a KASAN report
# in an interrupt before the first test, long before our module is
# loaded): such a run says nothing about the module, so boot again (three
# tries).  A run that got to its tests counts whatever happened.
for try in 1 2 3; do
	scripts/check-kernel.sh | tee "$BUILD_DIR/check-debug.log"
	rc=${PIPESTATUS[0]}
	log=$(ls -1dt "$BUILD_DIR/kernel-$KERNELRELEASE"/guest/*/ 2>/dev/null | head -n 1)console.log
	if [[ -f $log ]] && ! grep -q '@@SDPTOA BEGIN' "$log" &&
	   grep -q 'Kernel panic' "$log" && ((try < 3)); then
		echo "== check-debug: the guest died in early boot ($(grep -m1 -o 'BUG: [^+]*' "$log" || echo panic)); booting again"
		continue
	fi
	break
done
echo "== check-debug: $(($(date +%s) - t0))s in all"
exit "$rc"
