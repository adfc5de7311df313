#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 68. Every required segment carries TOA under load: 200 tagged
#     connections in flight (50 threads each for IPv4 and IPv6, to a backend
#     port whose accept queue overflows, and to one whose queue never
#     fills), 2,000 bytes each way per connection. With the queue full,
#     handshakes complete from the backend's SYN-ACK retransmits (timer)
#     and the client's answers to them (softirq). Every captured flow is
#     judged by toa_check: each required segment has TOA, with its own
#     loader's client address, none is over the MTU. 4,000 connections in
#     make check, 20,000 with sdptoa.stress=1. On the native path no gap is
#     tolerated; on the kprobe path (sdptoa.datapath=kprobe) only gaps that
#     hook_missed accounts for.
# test-timeout: 1800
. /tests/lib.sh

PER=$(hard_scale 20 100)	# connections per thread
topo_up
ns_sysctl lb net.ipv4.ip_local_port_range "10000 65000"
# no SYN cookies: a full accept queue drops the handshake's ACK and leaves
# the request to the SYN-ACK timer
ns_sysctl be net.ipv4.tcp_syncookies 0
toa_load
path=$(toa_datapath)
sink_start sn --listen "[::]:9000" --listen "[::]:9001" --reply 2000 --expect 2000
sink_start sq --listen "[::]:9002" --listen "[::]:9003" --reply 2000 \
	--expect 2000 --backlog 16 --accept-pause 2000
sniff_start cap --rcvbuf 67108864
hm=$(toa_stat hook_missed)
nr=$(toa_stat pkts_no_room)
L="--send 2000 --reply 2000 --threads 50 --count $PER --timeout 1500"
Q="--syn-retries 6 --syn-lost-ok"
load_bg n4 --dst $BE4:9000 --tag 203.0.113.50:4000 $L
load_bg n6 --dst "[$BE6]:9001" --tag "[2001:db8:c::50]:4000" $L
load_bg q4 --dst $BE4:9002 --tag 203.0.113.51:4000 $L $Q
load_bg q6 --dst "[$BE6]:9003" --tag "[2001:db8:c::51]:4000" $L $Q
n=0
for l in n4 n6 q4 q6; do load_wait $l; done
sink_stop sn
sink_stop sq
sniff_stop cap
cap_sane cap '254/8/203\.0\.113\.5[01]/4000|254/20/2001:db8:c::5[01]/4000'
assert_eq "$n" $((4 * 50 * PER)) "connections completed"
ovf=$("$IP" netns exec be awk '/^TcpExt:/ { if (!h) { for (k = 1; k <= NF; k++) c[$k] = k; h = 1 } else print $c["ListenOverflows"] }' /proc/net/netstat)
assert_gt "$ovf" 0 "accept queue overflows at the backend"
missed=$(( $(toa_stat hook_missed) - hm ))
# (on the native path hook_missed is 0 by construction: toa_hooks.c reports
# 0 there, nothing can skip; not a measurement)
allow=
[ "$missed" -gt 0 ] && allow=--allow-no-room
C="--mode handshake --kind 254 --mtu 1500 --flows $((50 * PER)) $allow"
req=0
noroom=0
for x in "9000 8 203.0.113.50" "9001 20 2001:db8:c::50" \
	 "9002 8 203.0.113.51" "9003 20 2001:db8:c::51"; do
	set -- $x
	"$BIN/toa_check" cap.txt $C --server-port $1 --len $2 --addr $3 \
		--port 4000 >cap$1.check 2>&1
	rc=$?
	tail -1 cap$1.check | sed "s/^/# port $1: /"
	[ $rc = 0 ] || { grep '^VIOLATION' cap$1.check | head -20
		fail "toa_check port $1: $(tail -1 cap$1.check)"; }
	req=$((req + $(sed -n 's/.* required=\([0-9]*\) .*/\1/p' cap$1.check)))
	noroom=$((noroom + $(sed -n 's/.* noroom=\([0-9]*\) .*/\1/p' cap$1.check)))
done
# a required segment may go without TOA only for want of room (toa_check
# judged that: SACK blocks next to timestamps): each is counted in
# pkts_no_room, or (native path) had all 40 option bytes taken by TCP,
# which then does not ask; on the kprobe path a missed hook also leaves one
grown=$(( $(toa_stat pkts_no_room) - nr ))
full=$(count "src=($LB4|$LB6) .* optlen=40 .*toa=none " cap.txt)
if [ "$path" = native ]; then
	# (a client segment with 40 option bytes after the backend's first
	# byte wants no TOA: full bounds from above)
	assert_ge "$noroom" "$grown" "segments without room in the capture vs. pkts_no_room growth"
	assert_ge "$((grown + full))" "$noroom" \
		"pkts_no_room growth + $full segments with 40 option bytes vs. segments without room in the capture"
else
	assert_ge "$((grown + missed))" "$noroom" \
		"pkts_no_room growth + hook_missed vs. segments without TOA"
fi
check_module_warnings
wait_live_zero
if [ "$path" = native ]; then hmf="hook_missed=n/a(native)"; else hmf="hook_missed=$missed"; fi
log "figures: load path=$path connections=$n in_flight=200 required_segments=$req segments_checked=$hard_segs overflows=$ovf retrans=$(snmp be Tcp RetransSegs) $hmf without_toa=$noroom pkts_no_room_growth=$grown full_40_option_bytes=$full synlost=$(cat q4.out q6.out | sed -n 's/.*synlost=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }') capture: $(tail -1 cap.txt | sed 's/^# end //')"
pass
