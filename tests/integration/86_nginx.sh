#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 86. Debian's own nginx 1.22, unmodified, with "proxy_bind $remote_addr
#     transparent;" and libsdp_toa_transparent.so preloaded into the
#     master (workers inherit it): workers run as www-data, without
#     CAP_NET_ADMIN, and tag through sdp_toa's allowed_gid=33. 100 client
#     addresses per family in one netns, 100 concurrent connections:
#       A http proxy_pass to an IPv4 upstream: IPv4 clients; IPv6 clients
#         (nginx sets IPV6_TRANSPARENT on the IPv4 socket: the NAT64 form)
#       B stream proxy_pass, IPv4 and IPv6 clients; and to an IPv6 upstream
#       C a second server without proxy_bind: the backend sees the load
#         balancer, nothing is tagged
#     Reloads and the module's absence: 88_nginx_reload.
. /tests/lib.sh

nginx_test_up
t0=$(toa_stat sockets_tagged)
log "A: http proxy_pass, proxy_bind \$remote_addr transparent"
peer_load a4 --dst $LBF4:8001 --src-base $C4BASE --nsrc 100 --count 3 --expect ip
peer_load a6 --dst "[$LBF6]:8001" --src-base $C6BASE --nsrc 100 --count 2 --expect ip
log "B: stream"
peer_load b4 --dst $LBF4:8003 --src-base $C4BASE --nsrc 100 --count 2 --expect ip
peer_load b6 --dst "[$LBF6]:8003" --src-base $C6BASE --nsrc 100 --count 1 --expect ip
peer_load b46 --dst $LBF4:8004 --src-base $C4BASE --nsrc 50 --count 2 --expect ip
assert_eq "$(( $(toa_stat sockets_tagged) - t0 ))" 900 "A-B: upstream sockets tagged (one per request)"
assert_eq "$(toa_stat denied)" 0 "no EPERM for the www-data workers"

log "C: a server without proxy_bind"
t0=$(toa_stat sockets_tagged)
peer_load c4 --dst $LBF4:8002 --src-base $C4BASE --nsrc 50 --count 2 --expect $LB4
assert_eq "$(toa_stat sockets_tagged)" "$t0" "C: nothing tagged"

kill -TERM "$(cat nginx.pid)"
wait "$(cat nginx.pid)"
grep -E 'emerg|alert|crit' "$W/ngx/error.log" | head -5 | sed 's/^/# error.log: /'
wait_live_zero
peer_stop pb
recv_unload
toa_unload
check_module_warnings
pass
