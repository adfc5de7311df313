#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 7. The socket option API, case by case (toa_api): every error of the
#    contract, "a failed call changes nothing", GET's normalisation, and the
#    invalid/denied counters; ENOPROTOOPT while the module is not loaded,
#    before and after it was.
. /tests/lib.sh

topo_up	# toa_api uses lo in lb

in_lb "$BIN/toa_api" --unloaded >api0.out 2>&1 || { cat api0.out; fail "toa_api --unloaded (before load)"; }
tail -1 api0.out
in_lb "$BIN/toa_client" --no-connect --tag 203.0.113.7:4000 \
	--tag-errno ENOPROTOOPT >cl.out 2>&1 || { cat cl.out; fail "tag without the module"; }

toa_load
in_lb "$BIN/toa_api" >api.out 2>&1
rc=$?
grep -E '^not ok|^toa_api:' api.out
tail -1 api.out
[ "$rc" = 0 ] || fail "toa_api: $(tail -1 api.out)"
assert_grep '^[0-9]+ passed, 0 failed' api.out "toa_api summary"
toa_stats_dump
toa_unload

in_lb "$BIN/toa_api" --unloaded >api1.out 2>&1 || { cat api1.out; fail "toa_api --unloaded (after unload)"; }
tail -1 api1.out
pass
