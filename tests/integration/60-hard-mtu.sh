#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening 1: MTU. inject=always, TSO/GSO/GRO off on the veth pair, link
# MTU 1500 and 1280 (and a 1400-byte route MTU under a 1500 link): bulk
# transfers over IPv4 with the 8-byte TOA, over IPv6 with the 20-byte TOA,
# and over IPv4 with an IPv6 client (20-byte TOA): no wire segment exceeds
# the MTU, every segment carries the right TOA, the byte counts match (the
# programs check every byte), and the sender's IP layer never had to refuse
# an oversized packet (FragFails / Ip6FragFails stay 0), also when a D-SACK
# block makes room for TOA in the middle of a transmit loop (TCP MD5, 10%
# duplicates: regression test for segments 8 bytes over the MTU).
# make check: 2 MB per transfer; make check-stress: 50 MB.
. /tests/lib.sh

SIZE=$(hard_scale 2000000 50000000)
topo_up
offloads_off
toa_load inject=always

segs=0
# xfer NAME MTU DST TAG LEN ADDR: one transfer, captured and checked
xfer() {
	x_n=$1 x_mtu=$2 x_dst=$3 x_tag=$4 x_len=$5 x_addr=$6
	x_ff4=$(snmp lb Ip FragFails)
	x_ff6=$(snmp lb Ip6 FragFails)
	x_rt=$(snmp lb Tcp RetransSegs)
	x_hm=$(toa_stat hook_missed)
	server_start "s$x_n" --listen "[::]:8081" --count 1 --expect "$SIZE" \
		--reply 100000 --timeout 600
	sniff_start "c$x_n"
	in_lb "$BIN/toa_client" --timeout 600 --dst "$x_dst" --tag "$x_tag" \
		--send "$SIZE" --expect-recv 100000 -q >"k$x_n.out" 2>&1 ||
		{ cat "k$x_n.out"; fail "transfer $x_n failed"; }
	server_wait "s$x_n"
	sniff_stop "c$x_n"
	check "c$x_n" --mode always --mtu "$x_mtu" --len "$x_len" --addr "$x_addr" \
		--port 4000 --min-with 100 $(toa_check_opts_since "$x_hm")
	x_s=$(sed -n 's/.* segments=\([0-9]*\).*/\1/p' "c$x_n.check")
	segs=$((segs + x_s))
	# the largest wire segment, for the log
	log "$x_n: largest IP packet $(awk '$1 == "dir=in" { for (i = 2; i <= NF; i++) if ($i ~ /^framelen=/) { split($i, a, "="); if (a[2] > m) m = a[2] } } END { print m - 14 }' "c$x_n.txt") bytes (MTU $x_mtu)"
	rm -f "c$x_n.txt"
	log "$x_n: FragFails +$(($(snmp lb Ip FragFails) - x_ff4)) Ip6FragFails +$(($(snmp lb Ip6 FragFails) - x_ff6)) RetransSegs +$(($(snmp lb Tcp RetransSegs) - x_rt))"
	assert_eq "$(snmp lb Ip FragFails)" "$x_ff4" "$x_n: IPv4 FragFails on the sender"
	assert_eq "$(snmp lb Ip6 FragFails)" "$x_ff6" "$x_n: Ip6FragFails on the sender"
}

ff4=$(snmp lb Ip FragFails)
ff6=$(snmp lb Ip6 FragFails)
for mtu in 1500 1280; do
	"$IP" -n lb link set veth-lb mtu $mtu && "$IP" -n be link set veth-be mtu $mtu ||
		fail "mtu $mtu"
	log "link MTU $mtu, $SIZE bytes per transfer"
	xfer "${mtu}v4" $mtu $BE4:8081 203.0.113.7:4000 8 203.0.113.7
	xfer "${mtu}v6" $mtu "[$BE6]:8081" "[2001:db8:c::7]:4000" 20 2001:db8:c::7
	xfer "${mtu}nat64" $mtu $BE4:8081 "[2001:db8:c::8]:4000" 20 2001:db8:c::8
done

log "route MTU 1400 under a 1500-byte link"
"$IP" -n lb link set veth-lb mtu 1500 && "$IP" -n be link set veth-be mtu 1500 ||
	fail "mtu 1500"
"$IP" -n lb route add $BE4/32 dev veth-lb mtu 1400 || fail "route mtu (IPv4)"
"$IP" -n lb -6 route add $BE6/128 dev veth-lb mtu 1400 || fail "route mtu (IPv6)"
xfer r1400v4 1400 $BE4:8081 203.0.113.7:4000 8 203.0.113.7
xfer r1400v6 1400 "[$BE6]:8081" "[2001:db8:c::7]:4000" 20 2001:db8:c::7

# A D-SACK block leaves the options after the first segment of a transmit
# loop; a 20-byte TOA that did not fit before fits after it, and the header
# must not outgrow what the segments were sized for (they would be 8 bytes
# over the MTU and dropped by the sender's IP layer: FragFails). TCP MD5
# (no GSO: many segments per loop) and duplicates from the backend (the
# load balancer then sends D-SACKs) make that frequent.
log "D-SACK: MD5, 10% duplicates from the backend, traffic both ways"
"$IP" -n lb route del $BE4/32 dev veth-lb mtu 1400
"$IP" -n lb -6 route del $BE6/128 dev veth-lb mtu 1400
in_be "$TC" qdisc add dev veth-be root netem duplicate 10% || fail "netem duplicate"
D=$(hard_scale 2000000 20000000)
R=$(hard_scale 2 5)
dsack0=$("$IP" netns exec lb awk 'NR % 2 == 1 { for (i = 1; i <= NF; i++) h[i] = $i }
	NR % 2 == 0 { for (i = 1; i <= NF; i++) if (h[i] == "TCPDSACKOldSent") print $i }' /proc/net/netstat)
i=0
while [ $i -lt "$R" ]; do
	i=$((i + 1))
	for x in "6 [$BE6]:8082 $LB6" "4 $BE4:8082 $LB4"; do
		set -- $x
		d_ff4=$(snmp lb Ip FragFails)
		d_ff6=$(snmp lb Ip6 FragFails)
		server_start ds$i$1 --listen "[::]:8082" --count 1 --expect $D --reply $D \
			--md5 sdp-toa-hard --md5-peer $3 --timeout 600
		in_lb "$BIN/toa_client" --timeout 600 --dst "$2" --tag "[2001:db8:c::9]:4000" \
			--md5 sdp-toa-hard --send $D --expect-recv $D -q >kd.out 2>&1 ||
			{ cat kd.out; fail "D-SACK transfer $i/IPv$1 failed"; }
		server_wait ds$i$1 >/dev/null
		log "D-SACK $i/IPv$1: FragFails +$(($(snmp lb Ip FragFails) - d_ff4)) Ip6FragFails +$(($(snmp lb Ip6 FragFails) - d_ff6))"
		assert_eq "$(snmp lb Ip FragFails)" "$d_ff4" "D-SACK $i/IPv$1: IPv4 FragFails on the sender"
		assert_eq "$(snmp lb Ip6 FragFails)" "$d_ff6" "D-SACK $i/IPv$1: Ip6FragFails on the sender"
	done
done
in_be "$TC" qdisc del dev veth-be root
dsack=$(( $("$IP" netns exec lb awk 'NR % 2 == 1 { for (i = 1; i <= NF; i++) h[i] = $i }
	NR % 2 == 0 { for (i = 1; i <= NF; i++) if (h[i] == "TCPDSACKOldSent") print $i }' /proc/net/netstat) - dsack0 ))
log "D-SACK: $dsack D-SACKs sent by the load balancer"
assert_gt "$dsack" 10 "D-SACKs sent"

assert_eq "$(snmp lb Ip FragFails)" "$ff4" "IPv4 FragFails on the sender, in all"
assert_eq "$(snmp lb Ip6 FragFails)" "$ff6" "Ip6FragFails on the sender, in all"
log "figures: mtu transfers=8 bytes_each=$SIZE segments_checked=$segs"
toa_stats_dump
check_module_warnings
wait_live_zero
log "took $(hard_took)"
pass
