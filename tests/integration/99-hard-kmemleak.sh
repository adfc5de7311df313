#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening 9 (debug kernel), second half: after every other test, with the
# module loaded and unloaded once more, kmemleak must find nothing
# unreferenced (two scans: an object is reported only once it has stayed
# unreferenced across scans and is older than 5 s). Elsewhere a no-op.
. /tests/lib.sh

K=/sys/kernel/debug/kmemleak
if [ ! -e $K ]; then
	# nothing to do: make check-debug runs it
	skip "no $K on this kernel (make check-debug has it)"
fi
toa_load
toa_unload
sleep 6
echo scan >$K || fail "kmemleak scan"
sleep 6
echo scan >$K || fail "kmemleak scan"
cat $K >leaks.txt
n=$(grep -c '^unreferenced object' leaks.txt)
log "figures: kmemleak reports=$n"
if [ "$n" != 0 ]; then
	head -n 200 leaks.txt
	fail "kmemleak: $n unreferenced objects (above)"
fi
pass
