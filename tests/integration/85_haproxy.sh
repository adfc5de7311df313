#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 85. Debian's own haproxy 2.6, unmodified, with "source ... usesrc" and
#     libsdp_toa_transparent.so preloaded: the transparent source becomes a
#     TOA tag, the upstream goes out from the load balancer's own address
#     (no TPROXY routing anywhere), and the backend, through sdp_toa_recv,
#     sees each client. 100 client addresses per family in one netns (cl),
#     100 concurrent connections at a time:
#       A mode tcp, usesrc clientip: IPv4 clients; IPv6 clients to the same
#         IPv4 server (the NAT64 form, which transparent mode cannot do)
#       B mode http, usesrc client (address and port), IPv4 and IPv6 clients
#       C an IPv6 server: IPv4 clients arrive as ::ffff:a.b.c.d
#       D a second backend without "source" on the same proxy: the backend
#         sees the load balancer, nothing is tagged
#     Reloads and the module's absence: 87_haproxy_reload.
#     The backend's answer says what its getpeername() (or the NAT64 lookup)
#     returned; each client compares it with its own address.
. /tests/lib.sh

haproxy_test_up
t0=$(toa_stat sockets_tagged)
r0=$(recv_stat toa_v4)
s0=$(recv_stat toa_v6)

log "A: mode tcp, usesrc clientip"
peer_load a4 --dst $LBF4:7001 --src-base $C4BASE --nsrc 100 --count 3 --expect ip
peer_load a6 --dst "[$LBF6]:7001" --src-base $C6BASE --nsrc 100 --count 2 --expect ip
log "B: mode http, usesrc client (address and port)"
peer_load b4 --dst $LBF4:7002 --src-base $C4BASE --nsrc 100 --count 2 --expect client
peer_load b6 --dst "[$LBF6]:7002" --src-base $C6BASE --nsrc 100 --count 1 --expect client
log "C: an IPv6 server, IPv4 clients"
peer_load c4 --dst $LBF4:7003 --src-base $C4BASE --nsrc 100 --count 1 --expect ip
tagged=$(( $(toa_stat sockets_tagged) - t0 ))
assert_eq "$tagged" 900 "A-C: upstream sockets tagged (one per request)"
recv_stats_dump
assert_eq "$(( $(recv_stat toa_v4) - r0 ))" 600 "A-C: IPv4 clients the receiver gave back"
assert_eq "$(( $(recv_stat toa_v6) - s0 ))" 300 "A-C: IPv6 clients (all over IPv4: NAT64)"
assert_eq "$(( $(recv_stat nat64_lookups) ))" 300 "A-C: NAT64 lookups answered"

log "D: a backend without transparent source on the same proxy"
t0=$(toa_stat sockets_tagged)
peer_load d4 --dst $LBF4:7004 --src-base $C4BASE --nsrc 50 --count 2 --expect $LB4
assert_eq "$(toa_stat sockets_tagged)" "$t0" "D: nothing tagged"

haproxy_stop h1
wait_live_zero
check_module_warnings
peer_stop pb
recv_unload
toa_unload
pass
