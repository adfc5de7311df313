#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening 3: unload under fire. rmmod/insmod cycles (make check: 5, make
# check-stress: 50) while threads keep opening tagged IPv4 and IPv6
# connections (tagging may fail with ENOPROTOOPT while the module is out)
# and bulk transfers run across the cycles; alternately inject=always and
# inject=handshake. Every transfer completes with the right bytes (the
# programs check every byte), every option area on the wire stays well
# formed and every TOA carries its connection's own tag (no garbage from an
# unwritten reservation, no other connection's address), no oops or warning,
# sockets_live is 0 after the last reload.
. /tests/lib.sh

CYCLES=$(hard_scale 5 50)
topo_up
toa_load inject=always
sink_start sk --listen "[::]:9000" --reply 2000 --expect 20000
sink_start sb --listen "[::]:9001" --reply 1000
L="--tag-may-fail ENOPROTOOPT --stop-file stop --timeout 1200"
OK4='254/8/203\.0\.113\.2[0-2]/4000'
OK6='254/20/2001:db8:c::2[0-2]/4000'
SNIFF="--rcvbuf 33554432"
sniff_start cap0 $SNIFF
TH=$(hard_scale 2 3)
load_bg l4 --dst $BE4:9000 --tag 203.0.113.20:4000 --send 20000 --reply 2000 \
	--threads $TH --pause 20000 $L
load_bg l6 --dst "[$BE6]:9000" --tag "[2001:db8:c::20]:4000" --send 20000 \
	--reply 2000 --threads $TH --pause 20000 $L
load_bg b4 --dst $BE4:9001 --tag 203.0.113.21:4000 --send 1000000 --reply 1000 \
	--pause 100000 $L
load_bg b6 --dst "[$BE6]:9001" --tag "[2001:db8:c::21]:4000" --send 1000000 \
	--reply 1000 --pause 100000 $L
# connections tagged before the first rmmod that keep sending after it
# (they wait for the second rmmod: on the debug kernel one takes minutes)
server_start sh --listen "[::]:8083" --count 4 --expect 400000 --reply 1000 --timeout 1200
client_bg kh --timeout 1200 --dst $BE4:8083 --tag 203.0.113.22:4000 --parallel 2 --send 100000 \
	--recv 1000 --ready kh.rdy --wait-file go --send2 300000 --expect-recv 1000
client_bg kh6 --timeout 1200 --dst "[$BE6]:8083" --tag "[2001:db8:c::22]:4000" --parallel 2 --send 100000 \
	--recv 1000 --ready kh6.rdy --wait-file go --send2 300000 --expect-recv 1000
wait_file kh.rdy
wait_file kh6.rdy
sleep 0.5
i=0
blk=0
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	c_t0=$(cut -d' ' -f1 /proc/uptime)
	toa_unload_busy
	c_t1=$(cut -d' ' -f1 /proc/uptime)
	[ $i = 2 ] && touch go
	sleep 0.1
	if [ $((i % 2)) = 0 ]; then toa_load inject=always; else toa_load inject=handshake; fi
	log "cycle $i: rmmod $(echo "$c_t0 $c_t1" | awk '{ printf "%.1f", $2 - $1 }')s, insmod $(echo "$c_t1 $(cut -d' ' -f1 /proc/uptime)" | awk '{ printf "%.1f", $2 - $1 - 0.1 }')s"
	sleep 0.$((3 + i % 5))
	# a fresh capture every 10 cycles keeps the files small
	if [ $((i % 10)) = 0 ] && [ $i -lt "$CYCLES" ]; then
		sniff_stop cap$blk
		cap_sane cap$blk "$OK4|$OK6"
		rm -f cap$blk.txt
		blk=$((blk + 1))
		sniff_start cap$blk $SNIFF
	fi
done
touch stop go
n=0
for l in l4 l6 b4 b6; do load_wait $l; done
client_wait kh
client_wait kh6
server_wait sh
sink_stop sk
sink_stop sb
sniff_stop cap$blk
cap_sane cap$blk "$OK4|$OK6"
assert_gt "$n" $((CYCLES * 10)) "connections during the cycles"
assert_gt "$(toa_stat pkts_v4)" 0 "pkts_v4 since the last load"
check_module_warnings
wait_live_zero
toa_unload
toa_load
assert_eq "$(toa_stat sockets_live)" 0 "sockets_live after a fresh load"
log "figures: reload cycles=$CYCLES connections=$((n + 8)) segments_checked=$hard_segs"
toa_unload
log "took $(hard_took)"
pass
