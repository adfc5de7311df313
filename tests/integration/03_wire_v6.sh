#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 3. The form follows the connection: 20-byte TOA for an IPv6 client and on
#    any IPv6 connection (IPv4 client as ::ffff:a.b.c.d); 8-byte TOA for an
#    IPv4 or v4-mapped client on an IPv4 connection, including an AF_INET6
#    socket connected to ::ffff:192.0.2.2. GET returns the same form.
. /tests/lib.sh

topo_up
toa_load
v4=$(toa_stat pkts_v4)
v6=$(toa_stat pkts_v6)

for p in 8081 8082 8083 8084 8085; do
	server_start s$p --listen "[::]:$p" --count 1 --expect 21000 --reply 100
done
sniff_start cap
X="--send 1000 --recv 100 --send2 20000 --expect-recv 100"
# IPv6 client over AF_INET6
client c1 --dst "[$BE6]:8081" --tag "[2001:db8:c::7]:4001" $X \
	--expect-get "[2001:db8:c::7]:4001"
# IPv4 client over AF_INET6
client c2 --dst "[$BE6]:8082" --tag 203.0.113.7:4002 $X \
	--expect-get "[::ffff:203.0.113.7]:4002"
# IPv6 client over AF_INET
client c3 --dst $BE4:8083 --tag "[2001:db8:c::8]:4003" $X \
	--expect-get "[2001:db8:c::8]:4003"
# v4-mapped client over AF_INET
client c4 --dst $BE4:8084 --tag "[::ffff:203.0.113.9]:4004" $X \
	--expect-get 203.0.113.9:4004
# AF_INET6 socket connected to ::ffff:192.0.2.2, IPv4 client
client c5 -6 --dst $BE4:8085 --tag 203.0.113.10:4005 $X \
	--expect-get 203.0.113.10:4005
for p in 8081 8082 8083 8084 8085; do server_wait s$p; done
sniff_stop cap

C="--mode handshake --kind 254 --flows 1 --mtu 1500 --min-with 2 --min-without 1"
check cap $C --server-port 8081 --len 20 --addr 2001:db8:c::7 --port 4001
check cap $C --server-port 8082 --len 20 --addr ::ffff:203.0.113.7 --port 4002
check cap $C --server-port 8083 --len 20 --addr 2001:db8:c::8 --port 4003
check cap $C --server-port 8084 --len 8 --addr 203.0.113.9 --port 4004
check cap $C --server-port 8085 --len 8 --addr 203.0.113.10 --port 4005
# the 20-byte ::ffff: form is spelt out on the wire, not squeezed to 8 bytes
assert_gt "$(toa_segs cap '254/20/::ffff:203\.0\.113\.7/4002 ')" 0 "::ffff: in 20 bytes"

n4=$(toa_segs cap '254/8/')
n6=$(toa_segs cap '254/20/')
assert_eq "$(( $(toa_stat pkts_v4) - v4 ))" "$n4" "pkts_v4 growth vs. 8-byte TOAs captured"
assert_eq "$(( $(toa_stat pkts_v6) - v6 ))" "$n6" "pkts_v6 growth vs. 20-byte TOAs captured"
assert_gt "$n6" 5 "20-byte TOAs"
wait_live_zero
pass
