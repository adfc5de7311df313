#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 22. The receiver under churn and across reloads, with the sender tagging
#     in the same guest:
#       A churn: threads open, use and close tagged IPv4 and IPv6
#         connections (and untagged ones) to one sink that checks
#         getpeername() of every accepted socket: each tagged one shows its
#         client, each untagged one the load balancer; the table drains
#         to 0 (no entry outlives its socket) and the counters add up
#       B reload under traffic: rmmod/insmod of sdp_toa_recv while the same
#         load runs and sockets with entries are open; every accepted
#         socket shows its client or, while the receiver is out, the load
#         balancer (never anything else); no oops, no warning
. /tests/lib.sh

topo_up
toa_load
recv_load

N=$(hard_scale 150 2000)
CYCLES=$(hard_scale 5 30)
# one sink per kind of connection, each with the one peer it may see
sink_start s4 --listen $BE4:9100 --reply 100 --expect 1000 \
	--expect-peer 203.0.113.40:4000
sink_start s6 --listen "[$BE6]:9101" --reply 100 --expect 1000 \
	--expect-peer "[2001:db8:c::40]:4000"
sink_start su --listen $BE4:9102 --reply 100 --expect 1000 \
	--expect-peer $LB4

log "A: churn, $N connections per thread, 2 threads, 3 kinds"
v0=$(recv_stat toa_v4)
s0=$(recv_stat toa_v6)
n=0
load_bg l4 --dst $BE4:9100 --tag 203.0.113.40:4000 --send 1000 --reply 100 \
	--threads 2 --count "$N"
load_bg l6 --dst "[$BE6]:9101" --tag "[2001:db8:c::40]:4000" --send 1000 \
	--reply 100 --threads 2 --count "$N"
load_bg lu --dst $BE4:9102 --send 1000 --reply 100 --threads 2 --count "$N"
load_wait l4
load_wait l6
load_wait lu
recv_wait_live_zero
recv_stats_dump
assert_eq "$(recv_stat toa_v4)" $((v0 + 2 * N)) "A: toa_v4: one per tagged IPv4 connection"
assert_eq "$(recv_stat toa_v6)" $((s0 + 2 * N)) "A: toa_v6: one per tagged IPv6 connection"
assert_eq "$(recv_stat nomem)" 0 "A: nomem"
sink_stop s4
sink_stop s6
sink_stop su
assert_eq "$(sink_conns s4)" $((2 * N)) "A: IPv4 sink connections"
assert_eq "$(sink_conns s6)" $((2 * N)) "A: IPv6 sink connections"

log "B: $CYCLES reloads of the receiver under traffic"
# while the receiver is out, a socket shows the load balancer
sink_start r4 --listen $BE4:9110 --reply 100 --expect 1000 \
	--expect-peer 203.0.113.41:4000 --expect-peer $LB4
sink_start r6 --listen "[$BE6]:9111" --reply 100 --expect 1000 \
	--expect-peer "[2001:db8:c::41]:4000" --expect-peer "[$LB6]"
# connections open across the reloads: entries made, then rmmod
server_start hold --listen $BE4:9112 --count 2 --expect 2000 --reply 100 \
	--late-peer --timeout 600
client_bg kh --dst $BE4:9112 --tag 203.0.113.42:4000 --parallel 2 \
	--send 1000 --recv 0 --ready kh.rdy --wait-file go --send2 1000 \
	--expect-recv 100 --timeout 600
wait_file kh.rdy
n=0
# While sdp_toa_recv is going (rmmod, between the module's GOING state and
# its exit unregistering its socket option), the kernel's nf_sockopt_find()
# answers ENOPROTOOPT for every IPv4 option it registers with netfilter,
# the sender's SET included: try_module_get() on the receiver's entry, the
# list's first, fails and ends the search (seen once in ~1,700 tags under
# datapath=kprobe). The proxy gets the error; the socket goes untagged and
# its backend sees the load balancer, which the sinks allow.
L="--stop-file stop --timeout 600 --tag-may-fail ENOPROTOOPT"
load_bg m4 --dst $BE4:9110 --tag 203.0.113.41:4000 --send 1000 --reply 100 \
	--threads 2 --count 0 $L
load_bg m6 --dst "[$BE6]:9111" --tag "[2001:db8:c::41]:4000" --send 1000 \
	--reply 100 --threads 2 --count 0 $L
i=0
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	sleep 0.$((3 + i % 5))
	recv_unload
	sleep 0.1
	recv_load
done
touch go
sleep 1
touch stop
load_wait m4
load_wait m6
sink_stop r4
sink_stop r6
server_wait hold
# loaded again after those sockets were made: they show the load balancer
assert_eq "$(grep -c " lpeer=$LB4:" hold.out)" 2 "B: sockets made before the last load"
log "B: $n connections across $CYCLES reloads, $(sink_conns r4) + $(sink_conns r6) accepted, $(cat m4.out m6.out | sed -n 's/.*tagfail=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }') tags refused while the receiver was going"
assert_gt "$n" "$CYCLES" "B: connections made"
recv_wait_live_zero
recv_stats_dump
recv_unload
toa_unload
check_module_warnings
pass
