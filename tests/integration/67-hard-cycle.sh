#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening 8: the ops upgrade, "modprobe -r; modprobe" again and again under
# tagged traffic (make check: 30 cycles; make check-stress: 60 per boot,
# over the boots of check-stress and check-kernel). rmmod and insmod run
# back to back, inject alternating handshake/always, while:
#  - threads open tagged IPv4 and IPv6 connections carrying 100 kB each way
#    in part (tagging may fail with ENOPROTOOPT while the module is out);
#  - a second backend port has a one-slot accept queue and a slow acceptor:
#    it overflows, so handshakes complete from SYN-ACK retransmits (timer)
#    and the client's ACKs to them are sent from softirq;
#  - bulk transfers stay open across all cycles (their ACK clocking makes
#    softirq transmits nest in process-context ones);
#  - a reader keeps /proc/net/sdp_toa_stats open across an rmmod and reads
#    it afterwards, another reads it in a loop.
# Every transfer completes with the right bytes, every TOA on the wire is
# well formed and its own connection's, no BUG, Oops, WARNING, soft lockup
# or RCU stall (the guest panics on each: an unfinished guest fails).
#
# Control (sdptoa.cycle=tracefs on the kernel command line, not run by
# make check): the same traffic and cycles with no module at all, the
# kernel's own probes added and removed instead (a kretprobe event on
# tcp_established_options, a kprobe event on tcp_v4_destroy_sock, a
# function-tracer instance on tcp_current_mss and tcp_options_write):
# tells a fault of the module from one of the kernel's text patching
# under the emulator (docs/DESIGN.md, "Testing under QEMU").
# test-timeout: 900
. /tests/lib.sh

CYCLES=$(hard_scale 30 60)
CONTROL=
grep -q 'sdptoa\.cycle=tracefs' /proc/cmdline && CONTROL=1
T=/sys/kernel/tracing
probes_in() {
	echo 'r:sdpc_res tcp_established_options' >>$T/kprobe_events &&
	echo 'p:sdpc_des tcp_v4_destroy_sock' >>$T/kprobe_events &&
	echo 1 >$T/events/kprobes/enable &&
	mkdir $T/instances/sdpc &&
	echo 'tcp_current_mss tcp_options_write' >$T/instances/sdpc/set_ftrace_filter &&
	echo function >$T/instances/sdpc/current_tracer || fail "adding probes"
}
probes_out() {
	echo nop >$T/instances/sdpc/current_tracer &&
	rmdir $T/instances/sdpc &&
	echo 0 >$T/events/kprobes/enable &&
	echo >$T/kprobe_events || fail "removing probes"
}
cycle_out() { if [ "$CONTROL" ]; then probes_out; else toa_unload_busy; fi; }
cycle_in() {	# INJECT
	if [ "$CONTROL" ]; then probes_in; else toa_load inject=$1; fi
}
topo_up
# no SYN cookies: a full accept queue must drop the handshake's ACK and
# leave the request to the SYN-ACK timer, not answer later segments of a
# cookie connection with a RST
ns_sysctl be net.ipv4.tcp_syncookies 0
cycle_in handshake
sink_start sk --listen "[::]:9000" --reply 100000 --expect 100000
sink_start sq --listen "[::]:9002" --reply 2000 --expect 2000 --backlog 2 \
	--accept-pause 20000
sink_start sb --listen "[::]:9001" --reply 1000
# the debug kernel takes ~40 s an rmmod (Tasks RCU grace periods): 30
# cycles there outlast 1200 s
L="--tag-may-fail ENOPROTOOPT --stop-file stop --timeout 7000"
n=0
OK4='(254/8/203\.0\.113\.3[0-5]/4000)'
OK6='(254/20/2001:db8:c::3[0-5]/4000)'
sniff_start cap0 --rcvbuf 33554432
load_bg l4 --dst $BE4:9000 --tag 203.0.113.30:4000 --send 100000 \
	--reply 100000 --threads 3 $L
load_bg l6 --dst "[$BE6]:9000" --tag "[2001:db8:c::30]:4000" --send 100000 \
	--reply 100000 --threads 3 $L
# the full queue drops SYNs too: a connect may lose all of its SYNs (an
# ETIMEDOUT after 31 s with 4 retries), which is counted, not a failure
Q="--syn-retries 4 --syn-lost-ok"
load_bg q4 --dst $BE4:9002 --tag 203.0.113.31:4000 --send 2000 --reply 2000 \
	--threads 4 $Q $L
load_bg q6 --dst "[$BE6]:9002" --tag "[2001:db8:c::31]:4000" --send 2000 \
	--reply 2000 --threads 4 $Q $L
load_bg b4 --dst $BE4:9001 --tag 203.0.113.32:4000 --send 20000000 \
	--reply 1000 $L
load_bg b6 --dst "[$BE6]:9001" --tag "[2001:db8:c::32]:4000" --send 20000000 \
	--reply 1000 $L
# the stats file read in a loop while the module comes and goes
( while [ ! -e stop ]; do cat "$STATS" >/dev/null 2>&1; done ) &
bg_track $!
sleep 1
c_t0=$(cut -d' ' -f1 /proc/uptime)
i=0
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	if [ $i = 3 ] && [ -z "$CONTROL" ]; then
		# a reader holds the stats file open across the rmmod
		exec 3<"$STATS"
		toa_unload_busy
		if cat <&3 >held.out 2>held.err; then
			assert_eq "$(wc -c <held.out)" 0 "read of a file held open across rmmod"
		fi
		log "held-open stats read after rmmod: $(cat held.err) ($(wc -c <held.out) bytes)"
		exec 3<&-
	else
		cycle_out
	fi
	if [ $((i % 2)) = 0 ]; then cycle_in handshake; else cycle_in always; fi
	# loaded a while, so that tagged connections are in every state
	sleep 0.$((i * 7 % 10))
done
c_t1=$(cut -d' ' -f1 /proc/uptime)
log "$CYCLES cycles in $(echo "$c_t0 $c_t1" | awk '{ printf "%.1f", $2 - $1 }')s"
sleep 1
touch stop
for l in l4 l6 q4 q6 b4 b6; do load_wait $l; done
for l in q4 q6; do
	assert_gt "$(sed -n 's/^load: conns=\([0-9]*\).*/\1/p' $l.out)" 0 \
		"$l connections through the overflowing queue"
done
sink_stop sk
sink_stop sq
sink_stop sb
sniff_stop cap0
cap_sane cap0 "$OK4|$OK6"
if [ "$CONTROL" ]; then
	probes_out
	log "control (no module): $CYCLES probe cycles, connections=$n"
	pass
fi
# every TOA is its own connection's: one loader, one client, per port
wrongport=$(awk '
	$1 == "dir=in" {
		t = $15; sub("^toa=", "", t)
		if (t == "none" || t == "-") next
		p = $5; sub("^dport=", "", p)
		c = p == 9000 ? 30 : p == 9002 ? 31 : p == 9001 ? 32 : -1
		if (t != "254/8/203.0.113." c "/4000" &&
		    t != "254/20/2001:db8:c::" c "/4000") {
			if (++n <= 5) print "# wrong TOA for port " p ": " $0 > "/dev/stderr"
		}
	}
	END { print n + 0 }' cap0.txt)
assert_eq "$wrongport" 0 "TOAs carrying another port's client"
# the module tagged (and sent) across the cycles, not only before the first
tagged=$(grep -h '^load:' ./*.out | sed 's/.*tagged=\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s + 0 }')
assert_ge "$tagged" "$CYCLES" "tagged connections (at least one per cycle)"
tflows=$(awk '$1 == "dir=in" && $15 ~ /^toa=254\// { print $2, $3 }' cap0.txt | sort -u | wc -l)
assert_ge "$tflows" "$CYCLES" "connections with TOA on the wire"
assert_gt "$n" "$CYCLES" "connections during the cycles"
ovf=$("$IP" netns exec be awk '/^TcpExt:/ { if (!h) { for (k = 1; k <= NF; k++) c[$k] = k; h = 1 } else print $c["ListenOverflows"] }' /proc/net/netstat)
assert_gt "$ovf" 0 "accept queue overflows at the backend"
assert_gt "$(snmp be Tcp RetransSegs)" 0 "backend retransmits"
check_module_warnings
wait_live_zero
# after the last reload, one connection judged segment by segment
sniff_start capz
server_start z --listen $BE4:9009 --count 1 --expect 1000 --reply 100
client cz --dst $BE4:9009 --tag 203.0.113.35:4000 --send 1000 --recv 100 \
	--expect-recv 100
server_wait z
sniff_stop capz
check capz --mode "$(cat $PARAMS/inject)" --addr 203.0.113.35 --port 4000 \
	--len 8 --server-port 9009
toa_unload
toa_load
assert_eq "$(toa_stat sockets_live)" 0 "sockets_live after a fresh load"
log "figures: reload cycles=$CYCLES connections=$n segments_checked=$hard_segs overflows=$ovf synlost=$(cat q4.out q6.out | sed -n 's/.*synlost=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }') tagged=$tagged toa_flows=$tflows capture: $(tail -1 cap0.txt | sed 's/^# end //')"
toa_unload
log "took $(hard_took)"
pass
