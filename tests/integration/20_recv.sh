#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 20. The receiver, sdp_toa_recv, end to end with the sender in the same
#     guest (lb tags, be runs toa_server): getpeername() and accept() of the
#     backend return the client in every address family pair.
#       A IPv4 client, IPv4 connection          -> 203.0.113.7:4000
#       B IPv6 client, IPv6 connection          -> [2001:db8:c::7]:4001
#       C IPv4 client, IPv4 connection to a dual-stack listener
#                                               -> [::ffff:203.0.113.8]:4002
#       D IPv4 client, IPv6 connection          -> [::ffff:203.0.113.9]:4003
#       E IPv6 client, IPv4 connection (NAT64): getpeername() cannot say it
#         and stays lb; SDP_TOA_SO_GET_NAT64 returns [2001:db8:c::9]:4004
#       F a connection without TOA              -> lb, unchanged
#       G trust: a sender outside trusted= is ignored and counted; "any"
#         believes it, "none" nobody
#     and the counters say exactly that; the table drains to 0.
. /tests/lib.sh

topo_up
toa_load
recv_load

# one_conn NAME PORT LISTEN DST TAG: one tagged connection, server NAME
one_conn() {
	server_start "$1" --listen "$3" --count 1 --accept-peer --nat64 \
		--expect 1000 --reply 100
	if [ -n "$5" ]; then
		client "c$1" --dst "$4" --tag "$5" --send 1000 --recv 100 \
			--expect-recv 100
	else
		client "c$1" --dst "$4" --send 1000 --recv 100 --expect-recv 100
	fi
	server_wait "$1"
}
# lb_port NAME: the local port of client cNAME's connection
lb_port() { grep -o 'local=[^ ]*' "c$1.out" | head -1 | sed 's/.*://'; }

log "A: IPv4 client over IPv4"
one_conn a 8001 $BE4:8001 $BE4:8001 203.0.113.7:4000
assert_eq "$(recv_peer a)" 203.0.113.7:4000 "A: getpeername()"
assert_grep ' apeer=203\.0\.113\.7:4000( |$)' a.out "A: accept()'s address"
assert_grep ' nat64=-ENOENT' a.out "A: no NAT64 client"

log "B: IPv6 client over IPv6"
one_conn b 8002 "[$BE6]:8002" "[$BE6]:8002" "[2001:db8:c::7]:4001"
assert_eq "$(recv_peer b)" "[2001:db8:c::7]:4001" "B: getpeername()"
assert_grep ' apeer=\[2001:db8:c::7\]:4001( |$)' b.out "B: accept()'s address"
assert_grep ' nat64=-ENOPROTOOPT' b.out "B: the lookup is for IPv4 sockets"

log "C: IPv4 client over IPv4 to a dual-stack listener"
one_conn c 8003 "[::]:8003" $BE4:8003 203.0.113.8:4002
assert_eq "$(recv_peer c)" "[::ffff:203.0.113.8]:4002" "C: getpeername() (v4-mapped)"

log "D: IPv4 client over IPv6"
one_conn d 8004 "[$BE6]:8004" "[$BE6]:8004" 203.0.113.9:4003
assert_eq "$(recv_peer d)" "[::ffff:203.0.113.9]:4003" "D: getpeername() (v4-mapped)"

log "E: IPv6 client over IPv4 (NAT64)"
one_conn e 8005 $BE4:8005 $BE4:8005 "[2001:db8:c::9]:4004"
assert_eq "$(recv_peer e)" "$LB4:$(lb_port e)" "E: getpeername() stays lb's"
assert_grep ' nat64=\[2001:db8:c::9\]:4004( |$)' e.out "E: SDP_TOA_SO_GET_NAT64"

log "F: no TOA"
one_conn f 8006 $BE4:8006 $BE4:8006 ""
assert_eq "$(recv_peer f)" "$LB4:$(lb_port f)" "F: getpeername() of an untagged connection"
assert_grep ' nat64=-ENOENT' f.out "F: no NAT64 client"
recv_stats_dump
assert_eq "$(recv_stat toa_v4)" 3 "toa_v4 (A, C, D)"
assert_eq "$(recv_stat toa_v6)" 2 "toa_v6 (B, E)"
assert_ge "$(recv_stat no_toa)" 1 "no_toa (F)"
assert_eq "$(recv_stat untrusted)" 0 "untrusted"
assert_eq "$(recv_stat malformed)" 0 "malformed"
assert_eq "$(recv_stat nat64_lookups)" 1 "nat64_lookups (E)"
# getpeername() and accept() of A-D
assert_ge "$(recv_stat peername_rewritten)" 6 "peername_rewritten"

log "G: trust"
recv_param_set trusted 198.51.100.0/24 || fail "trusted=198.51.100.0/24"
assert_eq "$(cat $RPARAMS/trusted)" 198.51.100.0/24 "trusted reads back"
one_conn g1 8007 $BE4:8007 $BE4:8007 203.0.113.10:4005
assert_eq "$(recv_peer g1)" "$LB4:$(lb_port g1)" "G: untrusted sender's TOA ignored"
assert_eq "$(recv_stat untrusted)" 1 "untrusted counted"
recv_param_set trusted "any" || fail "trusted=any"
assert_eq "$(cat $RPARAMS/trusted)" "0.0.0.0/0,::/0" "trusted=any reads back"
one_conn g2 8008 "[$BE6]:8008" "[$BE6]:8008" "[2001:db8:c::10]:4006"
assert_eq "$(recv_peer g2)" "[2001:db8:c::10]:4006" "G: trusted=any"
recv_param_set trusted none || fail "trusted=none"
one_conn g3 8009 $BE4:8009 $BE4:8009 203.0.113.11:4007
assert_eq "$(recv_peer g3)" "$LB4:$(lb_port g3)" "G: trusted=none believes nobody"
assert_eq "$(recv_stat untrusted)" 2 "untrusted counted again"
# host routes (a bare address) and networks written as a host in them
recv_param_set trusted "192.0.2.1, 2001:db8::77/64" || fail "trusted= with a host"
assert_eq "$(cat $RPARAMS/trusted)" "192.0.2.1/32,2001:db8::/64" "trusted normalised"
one_conn g4 8010 "[$BE6]:8010" "[$BE6]:8010" "[2001:db8:c::11]:4008"
assert_eq "$(recv_peer g4)" "[2001:db8:c::11]:4008" "G: trusted IPv6 network"

recv_wait_live_zero
recv_unload
toa_unload
check_module_warnings
pass
