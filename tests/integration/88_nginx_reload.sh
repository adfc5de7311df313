#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 88. Debian's nginx 1.22 with libsdp_toa_transparent.so (as 86_nginx, the
#     same configuration: workers as www-data, allowed_gid=33):
#       D reload (SIGHUP to the master, what "nginx -s reload" sends) under
#         traffic: no wrong client, no failed request, new workers tag
#       E sdp_toa unloaded: connections go on without TOA (the backend
#         sees the load balancer), the error log says why, once a worker
. /tests/lib.sh

nginx_test_up
log "D: reload (SIGHUP to the master) under traffic"
rm -f stop
peer_load_bg d4 --dst $LBF4:8001 --src-base $C4BASE --nsrc 60 --count 0 \
	--stop-file stop --expect ip
peer_load_bg d6 --dst "[$LBF6]:8003" --src-base $C6BASE --nsrc 40 --count 0 \
	--stop-file stop --expect ip
sleep 2
for i in 1 2; do
	kill -HUP "$(cat nginx.pid)"
	sleep 3
done
touch stop
peer_load_wait d4
peer_load_wait d6
log "figures: reload http $(tail -1 d4.out | sed 's/^load: //'); stream $(tail -1 d6.out | sed 's/^load: //')"
assert_gt "$(peer_conns d4)" 100 "D: requests during the reloads"
peer_load d9 --dst $LBF4:8001 --src-base $C4BASE --nsrc 10 --count 1 --expect ip

log "E: sdp_toa unloaded: the policy (untagged) holds"
wait_live_zero
toa_unload
peer_load e4 --dst $LBF4:8001 --src-base $C4BASE --nsrc 20 --count 2 --expect $LB4
n=$(grep -c 'SDP_TOA_SO_SET failed, is sdp_toa loaded' "$W/ngx/error.log")
log "E: $n lines in the error log"
assert_ge "$n" 1 "E: the error log says why"
assert_ge 2 "$n" "E: once per worker, not per connection"

kill -TERM "$(cat nginx.pid)"
wait "$(cat nginx.pid)"
grep -E 'emerg|alert|crit' "$W/ngx/error.log" | head -5 | sed 's/^/# error.log: /'
toa_load
peer_stop pb
recv_unload
toa_unload
check_module_warnings
pass
