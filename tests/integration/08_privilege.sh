#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 8. Who may tag: without CAP_NET_ADMIN in the socket's network namespace
#    SET fails with EPERM and "denied" counts it, unless the caller is in the
#    group allowed_gid (runtime write), as its gid or a supplementary group.
. /tests/lib.sh

topo_up
toa_load

api_as() {	# NAME toa_api-args...
	_n=$1
	shift
	in_lb "$BIN/toa_api" "$@" >"$_n.out" 2>&1
	_rc=$?
	sed "s/^/# $_n: /" "$_n.out"
	[ "$_rc" = 0 ] || fail "toa_api $* failed"
}

log "nobody, allowed_gid=-1: EPERM"
d=$(toa_stat denied)
api_as a1 --as-user 65534:65534
assert_gt "$(toa_stat denied)" "$d" "denied"
in_lb "$BIN/toa_client" --as-user 65534:65534 --no-connect \
	--tag 203.0.113.7:4000 --tag-errno EPERM >c1.out 2>&1 ||
	{ cat c1.out; fail "toa_client as nobody"; }

log "allowed_gid=65534: nobody may tag"
toa_param_set allowed_gid 65534 || fail "allowed_gid=65534"
d=$(toa_stat denied)
api_as a2 --as-user 65534:65534
assert_eq "$(toa_stat denied)" "$d" "denied with allowed_gid"
server_start s1 --listen $BE4:8081 --count 1 --expect 11000 --reply 100
sniff_start cap
client k1 --as-user 65534:65534 --dst $BE4:8081 --tag 203.0.113.7:4000 \
	--send 1000 --recv 100 --send2 10000 --expect-recv 100 \
	--expect-get 203.0.113.7:4000
server_wait s1
sniff_stop cap
check cap --mode handshake --addr 203.0.113.7 --port 4000 --len 8 --min-with 2

log "allowed_gid=4242 (group toa): as a supplementary group only"
toa_param_set allowed_gid 4242 || fail "allowed_gid=4242"
api_as a3 --as-user 65534:65534 --groups 4242
api_as a4 --as-user 65534:65534
api_as a5 --as-user 65534:4242

toa_param_set allowed_gid -1 || fail "allowed_gid=-1"
api_as a6 --as-user 65534:65534 --groups 4242
wait_live_zero
pass
