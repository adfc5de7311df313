#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening 4 + 5: lifecycle churn, then no stale address.
#  4. N tagged sockets (make check: 2,000; make check-stress: 20,000) end
#     every way a socket can: never connected, refused, timed out, normal
#     close, SO_LINGER 0, owner killed, netns deleted under a live owner.
#     sockets_live returns to 0 and the slab cache that holds the per-socket
#     entries returns to its baseline.
#     How the leak check works: first find the cache. Hold 1000 untagged
#     sockets, then 1000 tagged ones, and compare every kmalloc-* cache
#     (after /sys/kernel/slab/*/shrink, which flushes the per-CPU slabs, so
#     /proc/slabinfo's active_objs counts allocated objects exactly): the
#     cache that grows by ~1000 more with tags holds the entries. After the
#     churn its count may differ from the baseline by no more than
#     TOL = N/100 + two slabs' worth of objects (2 x objperslab: 84 for
#     kmalloc-96): other kernel users of the same size class and SLUB's
#     per-slab bookkeeping move the count by whole slabs (-84 to +65 seen
#     over 2,000 sockets; the untagged control's noise is printed below).
#     So the long form (N = 20,000, TOL 284) sees a leak of 1 in 70
#     sockets, or any one way of ending (>= 1,000 sockets each) leaking;
#     the short form (TOL 104) a leak of more than 1 in 20.
#     The per-socket view (/proc/net/sdp_toa_sockets) is read in a loop
#     through the whole churn: it lists exactly the 1000 held, and no line
#     once every socket is gone.
#  5. Then N untagged connections (IPv4, IPv6, IPv4-mapped): not one segment
#     carries TOA (inject=always; their sockets reuse the freed memory).
. /tests/lib.sh

N=$(hard_scale 2000 20000)
topo_up
ns_sysctl lb net.ipv4.tcp_fin_timeout 2
ns_sysctl lb net.ipv4.tcp_orphan_retries 1
ns_sysctl be net.core.somaxconn 4096
ns_sysctl lb net.ipv4.ip_local_port_range "10000 65000"
# a black hole for connects that time out: a veth whose lb end drops all
"$IP" link add veth-bh netns lb type veth peer name veth-bh2 netns be &&
"$IP" -n lb addr add 198.51.100.1/24 dev veth-bh &&
"$IP" -n lb link set veth-bh up && "$IP" -n be link set veth-bh2 up &&
"$IP" -n lb neigh add 198.51.100.2 lladdr 02:00:00:00:00:02 dev veth-bh nud permanent &&
in_lb "$TC" qdisc add dev veth-bh root netem loss 100% || fail "black hole setup"
toa_load inject=always

slab_snap() {	# FILE: "cache active_objs" for every kmalloc cache, exact
	for _f in /sys/kernel/slab/kmalloc-*/shrink; do echo 1 >"$_f"; done 2>/dev/null
	awk '$1 ~ /^kmalloc-[0-9kK]+$/ { print $1, $2 }' /proc/slabinfo >"$1"
}
slab_of() { awk -v c="$2" '$1 == c { print $2 }' "$1"; }	# FILE CACHE
settle() {	# sockets gone, their entries' kfree_rcu() batches (up to 5 s) run
	wait_live_zero
	sleep 6
}
slab_steady() {	# FILE CACHE: snapshot once CACHE holds still over 2 s (12 s at most)
	_prev=-100
	_i=0
	while [ $_i -lt 6 ]; do
		slab_snap "$1"
		_cur=$(slab_of "$1" "$2")
		[ $((_cur - _prev)) -le 4 ] && [ $((_prev - _cur)) -le 4 ] && return
		_prev=$_cur
		_i=$((_i + 1))
		sleep 2
	done
}
hold_bg() {	# NAME NS ARGS...
	_n=$1 _ns=$2
	shift 2
	rm -f "$_n.rdy" "$_n.stop"
	"$IP" netns exec "$_ns" "$BIN/toa_stress" hold --ready "$_n.rdy" \
		--stop-file "$_n.stop" "$@" >"$_n.out" 2>&1 &
	echo $! >"$_n.pid"
	bg_track $!
}
hold_ready() {	# NAME: wait for it (it may also have died)
	_w=$((WAIT * 10))
	while [ ! -e "$1.rdy" ]; do
		kill -0 "$(cat "$1.pid")" 2>/dev/null ||
			{ cat "$1.out"; fail "hold $1 died"; }
		_w=$((_w - 1))
		[ $_w -gt 0 ] || fail "hold $1 not ready"
		sleep 0.1
	done
}
hold_end() {	# NAME: let it close its sockets and exit
	touch "$1.stop"
	wait "$(cat "$1.pid")" || { cat "$1.out"; fail "hold $1 failed"; }
}
hold_run() {	# NAME NS ARGS...: hold, then close at once
	hold_bg "$@"
	hold_ready "$1"
	hold_end "$1"
}

log "which cache holds the entries"
settle
slab_snap s0
hold_bg u0 lb --count 1000
hold_ready u0
slab_snap s1
hold_end u0
settle
slab_snap s2
hold_bg t0 lb --count 1000 --tag 203.0.113.30:4000
hold_ready t0
assert_eq "$(toa_stat sockets_live)" 1000 "sockets_live with 1000 held"
VIEW=/proc/net/sdp_toa_sockets
assert_eq "$(grep -c ' client=203\.0\.113\.30:4000 ' $VIEW)" 1000 "view: the 1000 held"
slab_snap s3
hold_end t0
settle
cache=$(awk 'FNR == 1 { f++ } { v[f, $1] = $2; c[$1] = 1 }
	END { for (k in c) { d = (v[4, k] - v[3, k]) - (v[2, k] - v[1, k]);
		if (d > best) { best = d; bc = k } } print bc, best }' s0 s1 s2 s3)
set -- $cache
cache=$1
log "entries live in $cache: +$2 objects for 1000 tagged sockets"
# SLUB's active_objs is approximate (objects of a CPU's current slab count
# as in use; a shrink flushes most, not all): 883 of 1000 was seen once.
# Well over half still names the cache and shows the check below can see
# entries that stay behind (its tolerance, TOL below, is far smaller).
assert_ge "$2" 700 "growth of $cache with 1000 tagged sockets"
noise=$(( $(slab_of s2 "$cache") - $(slab_of s0 "$cache") ))
log "untagged control: $cache moved by $noise after 1000 untagged sockets came and went"

TOL=$((N / 100 + 2 * $(awk -v c="$cache" '$1 == c { print $5 }' /proc/slabinfo)))
slab_steady s2 "$cache"
base=$(slab_of s2 "$cache")
slab0=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
tagged0=$(toa_stat sockets_tagged)

sink_start sk --listen "[::]:9000" --reply 500 --expect 2000
sink_start sr --listen "[::]:9001" --allow-reset
T4="--tag 203.0.113.31:4000"
T6="--tag [2001:db8:c::31]:4000"
# chunk sizes: the endings in proportion, N in all
n_nc=$((N * 25 / 100)) n_ref=$((N * 15 / 100)) n_to=$((N * 5 / 100))
n_cl=$((N * 30 / 100)) n_l0=$((N * 10 / 100)) n_kill=$((N * 10 / 100))
n_ns=$((N - n_nc - n_ref - n_to - n_cl - n_l0 - n_kill))
chunks() {	# TOTAL SIZE: "s s s ... rest"
	_t=$1
	while [ "$_t" -gt 0 ]; do
		if [ "$_t" -gt "$2" ]; then echo "$2"; else echo "$_t"; fi
		_t=$((_t - $2))
	done
}

# the view, read over and over while sockets come and go
( n=0; while [ ! -e view.stop ]; do
	cat $VIEW >/dev/null || { echo "read failed" >view.err; break; }
	n=$((n + 1))
  done; echo $n >view.reads ) &
vpid=$!
bg_track $vpid

log "never connected: $n_nc"
i=0
for c in $(chunks $n_nc 1000); do
	i=$((i + 1))
	if [ $((i % 2)) = 0 ]; then hold_run nc$i lb --count "$c" $T4
	else hold_run nc$i lb --count "$c" -6 $T6; fi
done

log "refused: $n_ref"
i=0
for c in $(chunks $n_ref 500); do
	i=$((i + 1))
	if [ $((i % 2)) = 0 ]; then d=$BE4:9; t=$T4; else d="[$BE6]:9"; t=$T6; fi
	hold_run rf$i lb --count "$c" --dst "$d" $t --expect-errno ECONNREFUSED
done

log "timed out: $n_to"
i=0
for c in $(chunks $n_to 500); do
	i=$((i + 1))
	hold_run to$i lb --count "$c" --dst 198.51.100.2:80 $T4 --syn-retries 1 \
		--expect-errno ETIMEDOUT
done

log "normal close: $n_cl"
h=$((n_cl / 2))
for v in 4 6; do
	[ $v = 4 ] && d=$BE4:9000 t=$T4 || d="[$BE6]:9000" t=$T6
	[ $v = 4 ] && c=$h || c=$((n_cl - h))
	in_lb "$BIN/toa_stress" load --dst "$d" $t --send 2000 --reply 500 \
		--threads 4 --count $(( (c + 3) / 4 )) >cl$v.out 2>&1 ||
		{ cat cl$v.out; fail "normal close, IPv$v"; }
	cat cl$v.out
done
n_cl=$(( (h + 3) / 4 * 4 + (n_cl - h + 3) / 4 * 4 ))

log "SO_LINGER 0: $n_l0"
i=0
for c in $(chunks $n_l0 500); do
	i=$((i + 1))
	[ $((i % 2)) = 0 ] && d=$BE4:9001 t=$T4 || d="[$BE6]:9001" t=$T6
	hold_run l0$i lb --count "$c" --dst "$d" $t --send 1000 --linger0
done

log "owner killed: $n_kill"
i=0
for c in $(chunks $n_kill 500); do
	i=$((i + 1))
	[ $((i % 2)) = 0 ] && d=$BE4:9001 t=$T4 || d="[$BE6]:9001" t=$T6
	hold_bg kl$i lb --count "$c" --dst "$d" $t --send 1000
	hold_ready kl$i
	kill -9 "$(cat kl$i.pid)"
	wait "$(cat kl$i.pid)" 2>/dev/null
done

log "netns deleted under a live owner, then the owner killed: $n_ns"
"$IP" link add veth-chb netns be type veth peer name veth-ch || fail "veth-ch"
"$IP" -n be addr add 198.51.101.1/24 dev veth-chb && "$IP" -n be link set veth-chb up ||
	fail "veth-chb"
i=0
for c in $(chunks $n_ns 500); do
	i=$((i + 1))
	"$IP" netns add ch || fail "ip netns add ch"
	[ $i -gt 1 ] && { "$IP" link add veth-chb netns be type veth peer name veth-ch &&
		"$IP" -n be addr add 198.51.101.1/24 dev veth-chb &&
		"$IP" -n be link set veth-chb up || fail "veth-ch again"; }
	"$IP" link set veth-ch netns ch &&
	"$IP" -n ch addr add 198.51.101.2/24 dev veth-ch &&
	"$IP" -n ch link set veth-ch up && "$IP" -n ch link set lo up ||
		fail "netns ch"
	wait_until "$WAIT" "$IP" netns exec ch ping -c 1 -W 1 198.51.101.1 >/dev/null 2>&1 ||
		fail "ch cannot reach be"
	hold_bg ns$i ch --count "$c" --dst 198.51.101.1:9001 $T4 --send 1000
	hold_ready ns$i
	"$IP" netns del ch || fail "ip netns del ch"
	sleep 0.3
	kill -9 "$(cat ns$i.pid)"
	wait "$(cat ns$i.pid)" 2>/dev/null
done

total=$((n_nc + n_ref + n_to + n_cl + n_l0 + n_kill + n_ns))
settle
touch view.stop
wait $vpid
[ -e view.err ] && fail "reading $VIEW during the churn: $(cat view.err)"
assert_eq "$(wc -l <$VIEW)" 0 "view: lines once every socket is gone"
log "figures: the view read $(cat view.reads) times during the churn"
sink_stop sk
sink_stop sr
assert_eq "$(( $(toa_stat sockets_tagged) - tagged0 ))" "$total" "sockets tagged during the churn"
settle
slab_steady s4 "$cache"
after=$(slab_of s4 "$cache")
slab1=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
log "figures: churn connections=$total $cache before=$base after=$after (tolerance $TOL), Slab ${slab0}kB -> ${slab1}kB"
d=$((after - base))
[ $d -le $TOL ] || fail "$cache grew by $d objects after $total tagged sockets came and went (tolerance $TOL)"

log "no stale address: $N untagged connections"
v4=$(toa_stat pkts_v4)
v6=$(toa_stat pkts_v6)
sink_start su --listen "[::]:9003" --reply 300 --expect 3000
sniff_start cap
q=$((N / 3))
in_lb "$BIN/toa_stress" load --dst $BE4:9003 --send 3000 --reply 300 \
	--threads 4 --count $(( (q + 3) / 4 )) >u4.out 2>&1 || { cat u4.out; fail "untagged IPv4"; }
in_lb "$BIN/toa_stress" load --dst "[$BE6]:9003" --send 3000 --reply 300 \
	--threads 4 --count $(( (q + 3) / 4 )) >u6.out 2>&1 || { cat u6.out; fail "untagged IPv6"; }
in_lb "$BIN/toa_stress" load -6 --dst $BE4:9003 --send 3000 --reply 300 \
	--threads 4 --count $(( (N - 2 * q + 3) / 4 )) >um.out 2>&1 || { cat um.out; fail "untagged IPv4-mapped"; }
sniff_stop cap
sink_stop su
nu=$(sink_conns su)
assert_ge "$nu" "$N" "untagged connections served"
check cap --mode none --flows "$N"
assert_eq "$(toa_stat pkts_v4)" "$v4" "pkts_v4 during untagged traffic"
assert_eq "$(toa_stat pkts_v6)" "$v6" "pkts_v6 during untagged traffic"
log "figures: untagged connections=$nu segments_checked=$(sed -n 's/.* segments=\([0-9]*\).*/\1/p' cap.check)"
rm -f cap.txt
check_module_warnings
log "took $(hard_took)"
pass
