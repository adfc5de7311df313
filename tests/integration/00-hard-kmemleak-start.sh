#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening 9 (debug kernel), first half: on a kernel with kmemleak
# (make check-debug), forget what boot left behind (kmemleak reports a few
# early allocations falsely), so that 99-hard-kmemleak reports only what the
# tests leaked. Elsewhere a no-op.
. /tests/lib.sh

K=/sys/kernel/debug/kmemleak
if [ ! -e $K ]; then
	# nothing to do: make check-debug runs it
	skip "no $K on this kernel (make check-debug has it)"
fi
echo scan >$K || fail "kmemleak scan"
echo clear >$K || fail "kmemleak clear"
log "kmemleak: boot-time reports cleared"
# the scan's own "suspected memory leaks" line is about boot: not ours
_dmesg_start=$(dmesg | wc -l)
pass
