#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 6. Room in the TCP header (40 bytes of options).
#    a) TCP MD5 (20 bytes with padding; Linux then sends no timestamps) and a
#       20-byte TOA fill the 40 bytes exactly: TOA still goes, nothing is
#       skipped.
#    b) Timestamps (12) + SACK blocks (12+) leave no room for a 20-byte TOA:
#       those segments go without it, pkts_no_room counts them, every option
#       area stays well formed, the transfer completes. SACK blocks come from
#       loss on the backend's side (netem, segment by segment). A call the
#       return hook missed (hook_missed, see tests/guest/lib.sh) goes out
#       without TOA and uncounted: only those may make up a difference.
. /tests/lib.sh

topo_up
toa_load
nr=$(toa_stat pkts_no_room)

log "a) MD5 + 20-byte TOA = 40 bytes"
server_start s1 --listen "[::]:8081" --count 1 --expect 101000 --reply 100 \
	--md5 sdp-toa-test --md5-peer $LB6
sniff_start c1
client k1 --dst "[$BE6]:8081" --md5 sdp-toa-test \
	--tag "[2001:db8:c::7]:4001" --send 1000 --recv 100 --send2 100000 \
	--expect-recv 100
server_wait s1
sniff_stop c1
assert_gt "$(count 'opts=[^ ]*19/18' c1.txt)" 5 "segments with the MD5 option"
check c1 --mode handshake --len 20 --addr 2001:db8:c::7 --port 4001 \
	--mtu 1500 --min-with 2
assert_eq "$(toa_stat pkts_no_room)" "$nr" "pkts_no_room with MD5 + TOA (fits)"

log "b) timestamps + SACK + 20-byte TOA (inject=always, 2% loss backend->lb)"
toa_param_set inject always || fail "inject=always"
# per-segment loss (no GSO super-segments on be), so the client sees holes
one_seg_skbs be veth-be
in_be "$TC" qdisc add dev veth-be root netem loss 2% || fail "netem on be"
hm=$(toa_stat hook_missed)
server_start s2 --listen "[::]:8082" --count 3 --expect 1000 --reply 3000000
sniff_start c2
# loss is random: up to three transfers until the client has sent SACKs
for i in 1 2 3; do
	client k2 --dst "[$BE6]:8082" --tag "[2001:db8:c::8]:4002" --send 1000 \
		--expect-recv 3000000
	sleep 0.3
	[ "$(count "src=$LB6 .* opts=[^ ]*5/(10|18|26|34)" c2.txt)" -gt 0 ] && break
done
if [ "$i" = 3 ]; then
	server_wait s2
else	# it waits for connections that will not come
	kill "$(cat s2.pid)"
	wait "$(cat s2.pid)"
fi
sniff_stop c2
in_be "$TC" qdisc del dev veth-be root
assert_gt "$(count "src=$LB6 .* opts=[^ ]*5/(10|18|26|34)" c2.txt)" 0 \
	"client segments with SACK blocks"
check c2 --mode always --len 20 --addr 2001:db8:c::8 --port 4002 \
	--mtu 1500 --expect-no-room $(toa_check_opts_since "$hm")
grown=$(( $(toa_stat pkts_no_room) - nr ))
missed=$(( $(toa_stat hook_missed) - hm ))
noroom=$(grep -o 'noroom=[0-9]*' c2.check | cut -d= -f2)
# the native path is not asked about a segment whose TCP options take all
# 40 bytes (TCP knows there is no room): not counted either
full=0
[ "$(toa_datapath)" = native ] &&
	full=$(count "src=$LB6 .* optlen=40 .*toa=none " c2.txt)
log "pkts_no_room +$grown, hook_missed +$missed, capture noroom=$noroom, $full with 40 option bytes"
assert_gt "$grown" 0 "pkts_no_room growth"
# every segment the capture saw going without TOA for want of room, once;
# a missed call is in the capture but not in the counter
assert_ge "$noroom" "$((grown + full))" "capture noroom vs. pkts_no_room growth + 40-byte segments"
assert_ge "$((grown + missed + full))" "$noroom" \
	"pkts_no_room growth + hook_missed + 40-byte segments vs. segments without room in the capture"
wait_live_zero
pass
