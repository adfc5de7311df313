#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 5. Option kinds: kind=200 kind6=253 at load show on the wire (and 254 does
#    not); a runtime change of kind applies from the next segment on, in the
#    middle of a connection.
. /tests/lib.sh

topo_up
toa_load kind=200 kind6=253
server_start s1 --listen "[::]:8081" --count 1 --expect 21000 --reply 100
server_start s2 --listen "[::]:8082" --count 1 --expect 21000 --reply 100
# the capture knows only 200/253: a 254 would be "unknown" and fail
sniff_start c1 --kind 200 --kind6 253
X="--send 1000 --recv 100 --send2 20000 --expect-recv 100"
client k1 --dst $BE4:8081 --tag 203.0.113.7:4000 $X
client k2 --dst "[$BE6]:8082" --tag "[2001:db8:c::7]:4000" $X
server_wait s1
server_wait s2
sniff_stop c1
check c1 --mode handshake --server-port 8081 --kind 200 --len 8 \
	--addr 203.0.113.7 --port 4000 --min-with 2
check c1 --mode handshake --server-port 8082 --kind 253 --len 20 \
	--addr 2001:db8:c::7 --port 4000 --min-with 2

log "kind changed mid-connection (inject=always)"
toa_param_set inject always || fail "inject=always"
toa_param_set kind 254 || fail "kind=254"
server_start s3 --listen $BE4:8083 --count 1 --expect 201000
sniff_start c2 --kind 254,200 --kind6 253
client_bg k3 --dst $BE4:8083 --tag 203.0.113.7:4000 --send 1000 \
	--ready k3.rdy --wait-file go --send2 200000
wait_file k3.rdy
sleep 0.5
toa_param_set kind 200 || fail "kind=200 at runtime"
touch go
client_wait k3
server_wait s3
sniff_stop c2
# 254 first, then 200, each seen, never back
check c2 --mode always --kind 254,200 --len 8 --addr 203.0.113.7 --port 4000
assert_gt "$(toa_segs c2 '200/8/')" 5 "segments with kind 200 after the change"
wait_live_zero
pass
