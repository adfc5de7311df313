#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 2. An IPv4 client over an AF_INET connection: 8-byte TOA (kind 254) with
#    the client's address and port on the handshake ACK and on the client's
#    segments until the backend's first byte, none after; pkts_v4 counts
#    exactly the segments that carried it. Without a TOA receiver the
#    backend's getpeername() still says lb: that is the story TOA fixes.
. /tests/lib.sh

topo_up
toa_load
v4=$(toa_stat pkts_v4)
v6=$(toa_stat pkts_v6)

server_start srv --listen $BE4:8080 --count 1 --expect 301000 --reply 2000
sniff_start cap
client cl --dst $BE4:8080 --tag 203.0.113.7:4000 --send 1000 --recv 2000 \
	--send2 300000 --expect-recv 2000 --expect-get 203.0.113.7:4000
server_wait srv
sniff_stop cap

check cap --mode handshake --addr 203.0.113.7 --port 4000 --len 8 \
	--kind 254 --flows 1 --mtu 1500 --min-with 2 --min-without 3
n=$(toa_segs cap '254/8/203\.0\.113\.7/4000 ')
assert_eq "$(( $(toa_stat pkts_v4) - v4 ))" "$n" \
	"pkts_v4 growth vs. segments carrying TOA in the capture"
assert_eq "$(toa_stat pkts_v6)" "$v6" "pkts_v6"
assert_eq "$(toa_stat sockets_tagged)" 1 "sockets_tagged"

peer=$(grep -o 'peer=[^ ]*' srv.out)
log "backend's getpeername(): $peer (no TOA receiver there: the proxy's address)"
assert_eq "$peer" "peer=$LB4:$(grep -o 'local=[^ ]*' cl.out | sed 's/.*://')" \
	"backend sees lb's address and port"
wait_live_zero
pass
