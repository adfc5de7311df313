#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The benchmark, inside the test guest (busybox sh). scripts/bench.sh ships
# it as /tests/integration/bench.sh with the settings below prepended, boots
# the guest and reads the "@@BENCH ..." lines from the console.
#
#   lb (toa_bench clients, sdp_toa)  veth  be (toa_bench server)
#
# Each round runs every variant of a test back to back (A B C D, then the
# next test), so drift between rounds hits all variants alike:
#   absent       sdp_toa not loaded
#   untagged     loaded, nothing tagged (the table is empty)
#   tag_hs       loaded, every client socket tagged, inject=handshake
#   tag_always   same, inject=always
# Tests: bulk1, bulk4 (one / four TCP streams lb -> be; the backend sends a
# 1-byte greeting first, so inject=handshake stops at it), conn (short
# connections: connect, 100 bytes each way, close), scale (conn untagged and
# tag_hs while N other tagged sockets are held open), hook (per-call cost of
# tcp_established_options, see bench/toa_bench.c; its "ebpf" state is an
# eBPF sender, tests/progs/toa_bpfopt.c, with the module absent).

: "${BENCH_ROUNDS:=5}"
: "${BENCH_BULK1_MB:=200}"	# one stream
: "${BENCH_BULK4_MB:=50}"	# per stream, four streams
: "${BENCH_CONNS:=2000}"
: "${BENCH_PARALLEL:=4}"
: "${BENCH_SCALES:=1 1000 100000}"
: "${BENCH_HOOK_LOOPS:=10000}"
: "${BENCH_HOOK_SAMPLES:=15}"

. /tests/lib.sh

TB=$BIN/toa_bench
KMOD=$BIN/toa_bench_kmod.ko
KPROC=/proc/toa_bench_kmod
TAG=203.0.113.7:4000
BULK=$BE4:5001
RR=$BE4:5002
SINK=$BE4:5003

out() { echo "@@BENCH $*"; }

mod_absent() {
	[ -d /sys/module/sdp_toa ] || return 0
	toa_unload_busy
}
mod_loaded() {	# INJECT
	[ -d /sys/module/sdp_toa ] || toa_load
	toa_param_set inject "$1" || fail "inject=$1"
}

# run TEST VARIANT ROUND toa_bench-args...: one measurement, one line
run() {
	_t=$1 _v=$2 _r=$3
	shift 3
	_res=$(in_lb "$TB" "$@" 2>bench.err) ||
		fail "$_t $_v: toa_bench $*: $(cat bench.err)"
	case "$* | $_res" in
	*--tag*"| "*" tag=yes"*|*"| "*" tag=none"*) ;;
	*) fail "$_t $_v: sockets not tagged as meant: $_res" ;;
	esac
	out "test=$_t variant=$_v round=$_r $_res"
}

# variant V TEST ROUND toa_bench-args...: the module as V wants it, run
variant() {
	_vv=$1 _vt=$2 _vr=$3
	shift 3
	case $_vv in
	absent)
		mod_absent
		run "$_vt" absent "$_vr" "$@" ;;
	untagged)
		mod_loaded handshake
		run "$_vt" untagged "$_vr" "$@" ;;
	tag_hs)
		mod_loaded handshake
		run "$_vt" tag_hs "$_vr" "$@" --tag $TAG ;;
	tag_always)
		mod_loaded always
		run "$_vt" tag_always "$_vr" "$@" --tag $TAG ;;
	esac
}

# rotate N WORDS...: the words, starting at the Nth (0-based, modulo)
rotate() {
	_n=$1
	shift
	_n=$((_n % $#))
	while [ "$_n" -gt 0 ]; do
		_w=$1
		shift
		set -- "$@" "$_w"
		_n=$((_n - 1))
	done
	echo "$@"
}

# variants TEST ROUND toa_bench-args...: the four variants of one test,
# back to back; each round starts one variant later (a Latin square), so
# a drift within rounds favours none of them.
variants() {
	for _vx in $(rotate $(($2 - 1)) absent untagged tag_hs tag_always); do
		variant "$_vx" "$@"
	done
	mod_loaded handshake
}

# hook STATE ROUND toa_bench-hook-args...: one line per socket kind
hook() {
	_s=$1 _r=$2
	shift 2
	in_lb "$TB" hook --sink $SINK --greet $BULK --kmod $KPROC \
		--loops "$BENCH_HOOK_LOOPS" --samples "$BENCH_HOOK_SAMPLES" \
		"$@" >hook.out 2>bench.err ||
		fail "hook $_s: $(cat bench.err)"
	while read -r _l; do
		out "test=hook state=$_s round=$_r $_l"
	done <hook.out
}

# ebpf_on / ebpf_off: module absent, toa_bpfopt attached to the root
# cgroup (sockets connected from then on carry its TOA); false without it
CG=/sys/fs/cgroup
ebpf_on() {
	[ -x "$BIN/toa_bpfopt" ] || return 1
	grep -q "^[^ ]* $CG cgroup2 " /proc/mounts ||
		mount -t cgroup2 none $CG || return 1
	mod_absent
	rm -f ebpf.rdy
	"$BIN/toa_bpfopt" --cgroup $CG --toa $TAG --ready ebpf.rdy >ebpf.out 2>&1 &
	_ebpf_pid=$!
	bg_track $_ebpf_pid
	wait_file ebpf.rdy
}
ebpf_off() {
	kill -TERM "$_ebpf_pid"
	wait "$_ebpf_pid" || fail "toa_bpfopt: $(cat ebpf.out)"
	mod_loaded handshake
}

# hold N: N tagged sockets in lb until unhold; waits until they are tagged
hold() {
	rm -f hold.rdy
	"$IP" netns exec lb "$TB" hold --count "$1" --tag 198.51.100.9:9 \
		--ready hold.rdy >hold.out 2>&1 &
	_hold_pid=$!
	bg_track $_hold_pid
	wait_file hold.rdy 600
	grep -q 'tag_failed=0 ' hold.out || fail "hold $1: $(cat hold.out)"
}
unhold() {
	kill "$_hold_pid"
	wait "$_hold_pid" 2>/dev/null
	# Closing them runs the destroy hook for each: wait for the table.
	wait_until 120 sh -c "[ \$(awk '\$1 == \"sockets_live\" { print \$2 }' $STATS) -le 8 ]" ||
		fail "tagged sockets of the holder not released: $(toa_stat sockets_live)"
}

# ---- setup
topo_up
# Many short connections: a wide port range; the backend closes first, so
# TIME_WAIT stays on its side.
ns_sysctl lb net.ipv4.ip_local_port_range "10000 65000"
ns_sysctl be net.core.somaxconn 4096
ns_sysctl be net.ipv4.tcp_max_syn_backlog 4096
insmod "$KMOD" || fail "insmod $KMOD"
"$IP" netns exec be "$TB" server --bulk-port 5001 --rr-port 5002 \
	--sink-port 5003 --ready srv.rdy >srv.out 2>&1 &
bg_track $!
wait_file srv.rdy

out "info kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)" \
	"mem_kb=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)" \
	"rounds=$BENCH_ROUNDS bulk1_mb=$BENCH_BULK1_MB bulk4_mb=$BENCH_BULK4_MB" \
	"conns=$BENCH_CONNS parallel=$BENCH_PARALLEL scales=$(echo $BENCH_SCALES | tr ' ' ,)" \
	"hook_loops=$BENCH_HOOK_LOOPS hook_samples=$BENCH_HOOK_SAMPLES" \
	"veth_tso=$(in_lb "$ETHTOOL" -k veth-lb | awk '/^tcp-segmentation-offload:/ { print $2 }')" \
	"mtu=$(in_lb cat /sys/class/net/veth-lb/mtu)"

# How often the hooked functions run per connection / per MB: kprobe hit
# counts (module absent; both ends run in this kernel), so that per-call
# costs can be turned into per-connection ones.
TR=/sys/kernel/tracing
count() {	# count WHAT UNITS toa_bench-args...
	_w=$1 _u=$2
	shift 2
	echo 0 >$TR/tracing_on
	echo 'p:tbench/teo tcp_established_options' >$TR/kprobe_events &&
	echo 'p:tbench/optw tcp_options_write' >>$TR/kprobe_events &&
	echo 'p:tbench/destroy tcp_v4_destroy_sock' >>$TR/kprobe_events &&
	echo 1 >$TR/events/tbench/enable || { log "no kprobe events: not counting"; return 0; }
	in_lb "$TB" "$@" >/dev/null 2>bench.err || fail "count $_w: $(cat bench.err)"
	echo 0 >$TR/events/tbench/enable
	out "test=calls what=$_w units=$_u" \
		"$(awk '{ sub(/^tbench\//, "", $1); printf "%s=%s ", $1, $2 }' $TR/kprobe_profile)"
	echo >$TR/kprobe_events
	echo 1 >$TR/tracing_on
}
mod_absent
count conn "$BENCH_CONNS" conn --dst $RR --count "$BENCH_CONNS" --parallel "$BENCH_PARALLEL"
count bulk1 "$BENCH_BULK1_MB" bulk --dst $BULK --bytes "$BENCH_BULK1_MB"

# Warm up: first connections, page cache, module load paths.
mod_loaded handshake
in_lb "$TB" conn --dst $RR --count 200 --parallel "$BENCH_PARALLEL" >/dev/null ||
	fail "warm-up"
in_lb "$TB" bulk --dst $BULK --bytes 20 >/dev/null || fail "warm-up bulk"

r=1
while [ $r -le "$BENCH_ROUNDS" ]; do
	log "round $r of $BENCH_ROUNDS"
	variants bulk1 $r bulk --dst $BULK --bytes "$BENCH_BULK1_MB"
	variants bulk4 $r bulk --dst $BULK --bytes "$BENCH_BULK4_MB" --streams 4
	variants conn $r conn --dst $RR --count "$BENCH_CONNS" \
		--parallel "$BENCH_PARALLEL"

	# Per call: the bare function (absent), the hook with the table empty,
	# with a few entries (this process's own), and inject=always.
	mod_absent
	hook absent $r --only plain,new
	mod_loaded handshake
	hook empty $r --only plain,new
	hook tagged $r --tag $TAG
	toa_param_set inject always
	hook always $r --tag $TAG --only tagdata
	toa_param_set inject handshake
	# an eBPF sender (toa_bpfopt --toa: a sock_ops program that reserves
	# and writes a constant 8-byte TOA on every segment), module absent:
	# what the same kernel path costs with a program instead of us
	if ebpf_on; then
		hook ebpf $r --only plain
		ebpf_off
	fi
	# the same calls on the kprobe path (older kernels), side by side,
	# with each return hook this kernel allows: kprobe_* as
	# return_hook=auto picks it (the ftrace wrapper where the kernel
	# allows one), kretprobe_* with a kretprobe
	mod_absent
	toa_load datapath=kprobe return_hook=auto
	rh=$(toa_return_hook)
	[ "$r" = 1 ] && out "info kprobe_return_hook=$rh"
	hook kprobe_empty $r --only plain,new
	hook kprobe_tagged $r --tag $TAG
	mod_absent
	if [ "$rh" = wrapper ]; then
		toa_load datapath=kprobe return_hook=kretprobe
		hook kretprobe_empty $r --only plain,new
		hook kretprobe_tagged $r --tag $TAG
		mod_absent
	fi
	mod_loaded handshake

	# Scale: the same with N other tagged sockets in the table (the
	# order of N and of the two variants turns with the rounds too).
	for n in $(rotate $((r - 1)) $BENCH_SCALES); do
		hold "$n"
		out "test=hold round=$r n=$n $(cat hold.out)"
		for v in $(rotate $((r - 1)) untagged tag_hs); do
			variant $v scale_$n $r conn --dst $RR \
				--count "$BENCH_CONNS" --parallel "$BENCH_PARALLEL"
		done
		hook scale_$n $r --tag $TAG --only plain,tag,new,newtag
		unhold
	done
	r=$((r + 1))
done

# HAProxy: connection rate through Debian's haproxy with the preload and
# "usesrc clientip" (tproxy) against the same haproxy without either
# (plain), in this boot, rounds alternating the order. Not a timed test:
# figures only (scripts/bench.sh prints the ratio).
proxy_conf() {	# plain|tproxy
	if [ "$1" = tproxy ]; then _src="	source 0.0.0.0 usesrc clientip"; else _src=; fi
	cat >hb.cfg <<HB_CFG
global
	maxconn 4000
defaults
	mode tcp
	timeout connect 10s
	timeout client 60s
	timeout server 60s
frontend f
	bind $LBF4:7101
	default_backend b
backend b
$_src
	server s1 $BE4:9101
HB_CFG
}
proxy_round() {	# ROUND VARIANT
	proxy_conf "$2"
	if [ "$2" = tproxy ]; then _pre="LD_PRELOAD=$TPLIB"; else _pre=; fi
	"$IP" netns exec lb env $_pre $PROXIES/haproxy -W -db -f hb.cfg >hb.log 2>&1 &
	_hp=$!
	bg_track $_hp
	wait_until 60 lb_listens 7101 || fail "bench haproxy did not start"
	_t0=$(cut -d' ' -f1 /proc/uptime)
	"$IP" netns exec cl "$BIN/toa_peer" load --dst $LBF4:7101 \
		--src-base $C4BASE --nsrc 20 --count $((BENCH_CONNS / 20)) \
		--expect $LB4 >hb.out 2>&1 || fail "bench haproxy $2: $(tail -1 hb.out)"
	_t1=$(cut -d' ' -f1 /proc/uptime)
	kill -TERM $_hp
	wait $_hp 2>/dev/null
	out "test=haproxy variant=$2 round=$1 conns=$(peer_conns hb) secs=$(echo "$_t0 $_t1" | awk '{ printf "%.2f", $2 - $1 }')"
}
if [ -x "$PROXIES/haproxy" ] && [ -x "$BIN/toa_peer" ] && [ -f "$TPLIB" ]; then
	topo_proxy_up 20
	mod_loaded handshake
	"$IP" netns exec be "$BIN/toa_peer" serve --listen $BE4:9101 --ready hb.rdy \
		>hbs.out 2>&1 &
	bg_track $!
	wait_file hb.rdy
	r=1
	while [ $r -le "$BENCH_ROUNDS" ]; do
		for v in $(rotate $((r - 1)) plain tproxy); do proxy_round $r $v; done
		r=$((r + 1))
	done
else
	log "no haproxy, toa_peer or the preload library in this guest: no haproxy figures"
fi

out "stats $(tr '\n' ' ' <"$STATS")"
out "done"
rmmod toa_bench_kmod
pass
