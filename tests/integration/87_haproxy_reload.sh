#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 87. Debian's haproxy 2.6 with libsdp_toa_transparent.so (as 85_haproxy,
#     the same configuration), what ops do to it:
#       E reload (SIGUSR2 to the master, as Debian's unit does) under traffic:
#         no wrong client; mode tcp loses no request; new workers still tag
#       F sdp_toa unloaded: the default policy connects without TOA (the
#         backend sees the load balancer), and the log says why, once
#       G policy=fail: the bind fails with ENOPROTOOPT, nothing is served
#     Not judged: Debian's haproxy 2.6.12 may log "Former worker ... exited
#     with code 139 (Segmentation fault)" after a reload; a control run of
#     E without the library (plain frontends, no preload) showed the same.
. /tests/lib.sh

haproxy_test_up

log "E: reload under traffic (SIGUSR2 to the master)"
# mode tcp loses nothing across a reload; mode http loses a few requests
# (accepted, then closed without an answer by the stopping worker) with or
# without the library: e7, an http frontend without transparent source on
# the same proxy, is the control. Both must see no wrong client.
rm -f stop
peer_load_bg e4 --dst $LBF4:7001 --src-base $C4BASE --nsrc 60 --count 0 \
	--stop-file stop --expect ip
peer_load_bg e6 --dst "[$LBF6]:7002" --src-base $C6BASE --nsrc 40 --count 0 \
	--stop-file stop --expect client --allow-failed
peer_load_bg e7 --dst "[$LBF6]:7005" --src-base $C6BASE --nsrc 40 --count 0 \
	--stop-file stop --expect $LB4 --allow-failed
sleep 2
for i in 1 2; do
	kill -USR2 "$(cat h1.pid)"
	sleep 3
done
touch stop
peer_load_wait e4
peer_load_wait e6
peer_load_wait e7
log "figures: reload tcp $(tail -1 e4.out | sed 's/^load: //'); http usesrc $(tail -1 e6.out | sed 's/^load: //'); http control $(tail -1 e7.out | sed 's/^load: //')"
assert_gt "$(peer_conns e4)" 100 "E: IPv4 requests during the reloads"
# the workers after the reloads tag too
peer_load e9 --dst $LBF4:7001 --src-base $C4BASE --nsrc 10 --count 1 --expect ip

log "F: the module unloaded: policy untagged (the default) connects without TOA"
wait_live_zero
toa_unload
peer_load f4 --dst $LBF4:7001 --src-base $C4BASE --nsrc 20 --count 1 --expect $LB4
assert_ge "$(grep -c 'SDP_TOA_SO_SET failed, is sdp_toa loaded' h1.log)" 1 \
	"F: the proxy's log says why (once per worker)"
haproxy_stop h1
assert_ge 3 "$(grep -c 'SDP_TOA_SO_SET failed' h1.log)" \
	"F: said once per worker, not per connection"

log "G: policy fail: the bind fails, the request is not served"
haproxy_start h2 SDP_TOA_POLICY=fail
"$IP" netns exec cl "$BIN/toa_peer" load --dst $LBF4:7001 --src-base $C4BASE \
	--nsrc 5 --count 1 --expect ip --allow-failed >g4.out 2>&1
sed 's/^/# g4: /' g4.out | tail -2
assert_grep '^load: conns=5 ok=0 wrong=0 failed=5$' g4.out "G: every request refused"
haproxy_stop h2
assert_ge "$(grep -c 'SDP_TOA_SO_SET failed' h2.log)" 1 "G: the proxy's log says why"
toa_load

wait_live_zero
check_module_warnings
peer_stop pb
recv_unload
toa_unload
pass
