#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 11. Untagged connections never carry TOA, even with inject=always and after
#     many tagged sockets were created and freed (their memory is reused by
#     the new sockets); a tag cleared before connect() counts as none.
. /tests/lib.sh

topo_up
toa_load inject=always

log "churn: tagged sockets created and closed"
client n1 --no-connect --tag 203.0.113.7:4000 --count 300 -q
client n2 --no-connect -6 --tag "[2001:db8:c::7]:4000" --count 200 -q
server_start s0 --listen "[::]:8080" --count 40 --expect 2000 --reply 100
client t1 --dst $BE4:8080 --tag 203.0.113.7:4000 --count 20 --send 2000 \
	--expect-recv 100 -q
client t2 --dst "[$BE6]:8080" --tag "[2001:db8:c::7]:4000" --count 20 \
	--send 2000 --expect-recv 100 -q
server_wait s0
wait_live_zero

log "untagged and cleared connections"
v4=$(toa_stat pkts_v4)
v6=$(toa_stat pkts_v6)
server_start s1 --listen "[::]:8081" --count 50 --expect 100000 --reply 10000
sniff_start cap
client u1 --dst $BE4:8081 --count 15 --send 100000 --expect-recv 10000 -q
client u2 --dst "[$BE6]:8081" --count 15 --send 100000 --expect-recv 10000 -q
client u3 -6 --dst $BE4:8081 --count 10 --send 100000 --expect-recv 10000 -q
client u4 --dst $BE4:8081 --tag 203.0.113.7:4000 --clear --expect-get none \
	--count 10 --send 100000 --expect-recv 10000 -q
server_wait s1
sniff_stop cap
check cap --mode none --flows 50 --mtu 1500
assert_eq "$(toa_stat pkts_v4)" "$v4" "pkts_v4 during untagged traffic"
assert_eq "$(toa_stat pkts_v6)" "$v6" "pkts_v6 during untagged traffic"
wait_live_zero
pass
