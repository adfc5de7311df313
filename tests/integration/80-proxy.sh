#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 80-proxy: examples/toa_proxy, the reference integration, end to end.
#
#   cl (clients)              lb (toa_proxy, sdp_toa)            be (toa_server, toa_sniff)
#   198.51.100.10   c0 --- l0  198.51.100.1    192.0.2.1   l1 --- b0  192.0.2.2
#   2001:db8:1::10             2001:db8:1::1   2001:db8:2::1          2001:db8:2::2
#
# What a proxy must get right, and what the backend must see:
#   A  140 concurrent clients through IPv4, IPv6 and dual-stack listeners to
#      IPv4 and IPv6 upstreams; every upstream connection carries its own
#      client's address and port in TOA (the proxy's -v log joined with the
#      backend's capture), in the form the address family pair calls for
#   B  8 MB each way per connection, through 3000-byte proxy buffers: byte
#      counts and the data pattern check out at both ends; the proxy's
#      memory stays bounded (backpressure)
#   C  half-close: the client's FIN reaches the backend, which only then
#      replies 1 MB; the client still gets all of it, then EOF
#   D  client reset (SO_LINGER 0) -> the upstream is reset and gone
#   E  upstream refused -> the client's connection is reset within 3 s
#   F  libtoa_preload.so tags an untagging program (toa_proxy.dynamic
#      --no-tag) with SDP_TOA_CLIENT, IPv4 and IPv6
#   G  an unprivileged proxy: EPERM logged once, untagged; --require-tag
#      resets clients; with allowed_gid it tags
#   and toa_check finds TOA placed by the handshake rules on every flow.
#
# Runs in the test guest (busybox sh). On a host without the module:
#   TOA_TEST_NO_MODULE=1 BIN=dir-with-all-programs IP=/usr/sbin/ip SS=/usr/bin/ss \
#   PING="busybox ping" NS_PREFIX=x- busybox sh 80-proxy.sh     (as root, in a scratch dir)
# then tagging fails with ENOPROTOOPT, which is tested instead, and the
# capture must show no TOA at all.

IP=${IP:-/opt/iproute2/ip}
SS=${SS:-/opt/iproute2/ss}
PING=${PING:-ping}
SETPRIV=${SETPRIV:-/opt/tools/setpriv}
BIN=${BIN:-${SDPTOA_TESTS:-/tests}/bin}
KO=${SDPTOA_KO:-/lib/sdp_toa/sdp_toa.ko}
NOMOD=${TOA_TEST_NO_MODULE:-0}
P=${NS_PREFIX:-}
CL=${P}cl LB=${P}lb BE=${P}be
W=${WORKDIR:-$(pwd)}
PROXY=$BIN/toa_proxy
PROXY_DYN=$BIN/toa_proxy.dynamic
PRELOAD=$BIN/libtoa_preload.so
CAP=$W/be.cap

n=0
pids=
sniff_pid=

ok() { n=$((n + 1)); echo "ok $n - $*"; }

cleanup() {
	for p in $pids $sniff_pid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $CL $LB $BE; do $IP netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# fail MESSAGE [FILE...]: say why, show the end of each FILE, stop.
fail() {
	echo "FAIL: $1"
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		echo "--- tail $f"
		tail -n 15 "$f"
	done
	exit 1
}

ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

in_ns() { ns=$1; shift; $IP netns exec "$ns" "$@"; }

wait_file() {	# wait_file FILE SECONDS
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# start_server NAME PORT TOA_SERVER_ARGS...: dual-stack backend on PORT
start_server() {
	name=$1 port=$2
	shift 2
	rm -f "$W/$name.ready"
	# not through in_ns: $! must be the program itself (ip netns exec execs)
	$IP netns exec "$BE" "$BIN/toa_server" --listen "[::]:$port" --timeout 100 \
		--ready "$W/$name.ready" "$@" >"$W/$name.out" 2>&1 &
	eval "${name}_pid=$!"
	pids="$pids $!"
	wait_file "$W/$name.ready" 10 || fail "backend $name did not start" "$W/$name.out"
}

# start_proxy NAME [env VAR=...|setpriv ...] PROGRAM ARGS...: in lb, -v log
# in NAME.log. Ready once it names its upstream (after binding every -l).
start_proxy() {
	name=$1
	shift
	$IP netns exec "$LB" "$@" -v >"$W/$name.log" 2>&1 &
	eval "${name}_pid=$!"
	pids="$pids $!"
	i=0
	until grep -q '^toa_proxy: upstream ' "$W/$name.log"; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "proxy $name did not start" "$W/$name.log"
		sleep 0.1
	done
}

stop() {	# stop PID: SIGTERM, reap
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# client NAME TOA_CLIENT_ARGS...: runs in cl, output in NAME.out
client() {
	name=$1
	shift
	in_ns "$CL" "$BIN/toa_client" --timeout 100 "$@" >"$W/$name.out" 2>&1
}

# wait_ok PID NAME: the process must exit 0
wait_ok() {
	wait "$1" || fail "$2 exited $?" "$W/$2.out"
}

# How many lines of FILE contain the fixed STRING / match the regex RE.
count() { grep -cF -- "$2" "$1" 2>/dev/null || true; }
count_re() { grep -cE -- "$2" "$1" 2>/dev/null || true; }

# ---- hosts
for f in "$PROXY" "$PROXY_DYN" "$PRELOAD" "$BIN/toa_client" \
	 "$BIN/toa_server" "$BIN/toa_sniff" "$BIN/toa_check"; do
	[ -e "$f" ] || fail "missing $f (make -C examples; make -C tests)"
done
if [ "$NOMOD" = 1 ]; then
	echo "# no module: tagging must fail with ENOPROTOOPT"
elif [ ! -d /sys/module/sdp_toa ]; then
	# sdptoa.datapath= on the kernel command line: the whole suite on one
	# path (tests/guest/lib.sh does the same for the other tests)
	dp=$(sed -n 's/.*sdptoa\.datapath=\([a-z]*\).*/\1/p' /proc/cmdline 2>/dev/null)
	insmod "$KO" ${dp:+datapath=$dp} || fail "insmod $KO ${dp:+datapath=$dp}"
fi
dmesg_start=$(dmesg 2>/dev/null | wc -l)

for ns in $CL $LB $BE; do
	$IP netns add "$ns" || fail "ip netns add $ns"
	$IP -n "$ns" link set lo up
done
$IP -n "$CL" link add c0 type veth peer name l0 netns "$LB" || fail "veth c0"
$IP -n "$LB" link add l1 type veth peer name b0 netns "$BE" || fail "veth l1"
addr() {	# addr NS DEV V4/24 V6/64
	$IP -n "$1" addr add "$3" dev "$2"
	$IP -n "$1" addr add "$4" dev "$2" nodad
	$IP -n "$1" link set "$2" up
}
addr "$CL" c0 198.51.100.10/24 2001:db8:1::10/64
addr "$LB" l0 198.51.100.1/24 2001:db8:1::1/64
addr "$LB" l1 192.0.2.1/24 2001:db8:2::1/64
addr "$BE" b0 192.0.2.2/24 2001:db8:2::2/64
in_ns "$CL" $PING -c 1 -W 5 198.51.100.1 >/dev/null || fail "cl cannot reach lb"
in_ns "$LB" $PING -c 1 -W 5 192.0.2.2 >/dev/null || fail "lb cannot reach be"
ok "three hosts: cl, lb, be"

# One capture on the backend's interface for the whole test; each
# scenario has its own backend port, so toa_check can judge them apart.
rm -f "$W/sniff.ready"
$IP netns exec "$BE" "$BIN/toa_sniff" -i b0 -o "$CAP" --rcvbuf 33554432 \
	--ready "$W/sniff.ready" >"$W/sniff.err" 2>&1 &
sniff_pid=$!
wait_file "$W/sniff.ready" 10 || fail "toa_sniff did not start" "$W/sniff.err"

if [ "$NOMOD" = 1 ]; then TAGGED='tag=none\(ENOPROTOOPT\)'; else TAGGED='tag=[[0-9]'; fi

# ---- A: many concurrent clients, every address family pair
t0=$(ms)
start_server sA 9001 --count 140 --expect 65536 --reply 65536 -q
start_proxy pA4 "$PROXY" -l 198.51.100.1:8001 -l "[2001:db8:1::1]:8001" \
	-l 8011 -u 192.0.2.2:9001
start_proxy pA6 "$PROXY" -l 198.51.100.1:8002 -l "[2001:db8:1::1]:8002" \
	-u "[2001:db8:2::2]:9001"
client a1 --dst 198.51.100.1:8001 --parallel 50 --count 2 --send 65536 --expect-recv 65536 -q & a1=$!
client a2 --dst "[2001:db8:1::1]:8001" --parallel 10 --send 65536 --expect-recv 65536 -q & a2=$!
client a3 --dst 198.51.100.1:8011 --parallel 10 --send 65536 --expect-recv 65536 -q & a3=$!
client a4 --dst 198.51.100.1:8002 --parallel 10 --send 65536 --expect-recv 65536 -q & a4=$!
client a5 --dst "[2001:db8:1::1]:8002" --parallel 10 --send 65536 --expect-recv 65536 -q & a5=$!
for c in "$a1 a1" "$a2 a2" "$a3 a3" "$a4 a4" "$a5 a5"; do
	set -- $c
	wait "$1" || fail "clients $2 failed" "$W/$2.out" "$W/pA4.log" "$W/pA6.log" "$W/sA.out"
done
wait "$sA_pid" || fail "backend sA failed" "$W/sA.out"
grep -q 'ok connections=140' "$W/sA.out" || fail "backend sA: not 140 connections" "$W/sA.out"
opened=$(($(count "$W/pA4.log" ' open client=') + $(count "$W/pA6.log" ' open client=')))
closed=$(($(count "$W/pA4.log" ' close up=65536 down=65536') + $(count "$W/pA6.log" ' close up=65536 down=65536')))
[ "$opened" = 140 ] && [ "$closed" = 140 ] ||
	fail "proxy logged $opened opened / $closed cleanly closed, want 140" "$W/pA4.log" "$W/pA6.log"
tagged=$(($(count_re "$W/pA4.log" "$TAGGED") + $(count_re "$W/pA6.log" "$TAGGED")))
[ "$tagged" = 140 ] || fail "$tagged of 140 upstream sockets show $TAGGED" "$W/pA4.log"
# dual-stack listener: IPv4 clients as ::ffff:a.b.c.d, tagged as such
[ "$(count "$W/pA4.log" 'client=[::ffff:198.51.100.10]:')" = 10 ] ||
	fail "dual-stack listener did not see 10 ::ffff: clients" "$W/pA4.log"
ok "A: 140 concurrent clients (v4, v6, dual-stack -> v4 and v6 upstreams), 64 KiB each way, $(($(ms) - t0)) ms"
stop "$pA4_pid"; stop "$pA6_pid"
grep -q 'exiting: accepted=120 ' "$W/pA4.log" || fail "pA4 did not exit cleanly" "$W/pA4.log"

# ---- B: large transfers both ways, small proxy buffers
t0=$(ms)
start_server sB 9002 --count 3 --expect 8m --reply 8m
start_proxy pB "$PROXY" --buffer 3000 -l 198.51.100.1:8003 \
	-l "[2001:db8:1::1]:8003" -u "[2001:db8:2::2]:9002"
client b1 --dst 198.51.100.1:8003 --parallel 2 --send 8m --expect-recv 8m & b1=$!
client b2 --dst "[2001:db8:1::1]:8003" --send 8m --expect-recv 8m & b2=$!
wait_ok "$b1" b1
wait_ok "$b2" b2
wait "$sB_pid" || fail "backend sB failed" "$W/sB.out"
[ "$(count "$W/sB.out" 'bytes=8388608 replied=8388608')" = 3 ] || fail "backend sB byte counts" "$W/sB.out"
[ "$(count "$W/b1.out" 'sent=8388608 recv=8388608')" = 2 ] || fail "client b1 byte counts" "$W/b1.out"
[ "$(count "$W/pB.log" 'close up=8388608 down=8388608')" = 3 ] || fail "proxy pB byte counts" "$W/pB.log"
# VmPeak, not VmHWM: 6.1 updates RSS counters lazily, the address space
# size exactly; a proxy that buffered without bound would have grown.
peak=$(awk '/^VmPeak:/ { print $2 }' "/proc/$pB_pid/status")
[ "${peak:-0}" -gt 0 ] && [ "$peak" -lt 8192 ] ||
	fail "proxy VmPeak ${peak:-?} kB after 48 MB relayed: buffering is not bounded"
ok "B: 3 x 8 MiB each way through 3000-byte buffers, pattern checked at both ends, proxy VmPeak ${peak} kB, $(($(ms) - t0)) ms"
stop "$pB_pid"

# ---- C: half-close
t0=$(ms)
# --reply-after beyond what arrives: the backend replies only at EOF, i.e.
# only once the client's FIN has come through the proxy.
start_server sC 9003 --count 2 --expect 100000 --reply 1000000 --reply-after 1g
start_proxy pC "$PROXY" -l 198.51.100.1:8004 -l "[2001:db8:1::1]:8004" -u 192.0.2.2:9003
client c1 --dst 198.51.100.1:8004 --send 100000 --expect-recv 1000000 || fail "client c1" "$W/c1.out" "$W/pC.log"
client c2 --dst "[2001:db8:1::1]:8004" --send 100000 --expect-recv 1000000 || fail "client c2" "$W/c2.out" "$W/pC.log"
wait "$sC_pid" || fail "backend sC failed" "$W/sC.out"
[ "$(count "$W/pC.log" 'close up=100000 down=1000000')" = 2 ] || fail "proxy pC byte counts" "$W/pC.log"
ok "C: half-close: client FIN passed on, 1 MB reply after it delivered, then EOF, $(($(ms) - t0)) ms"
stop "$pC_pid"

# ---- D: client reset
t0=$(ms)
start_server sD 9004 --count 1 --allow-reset
start_proxy pD "$PROXY" -l 198.51.100.1:8005 -u 192.0.2.2:9004
client d1 --dst 198.51.100.1:8005 --send 300000 --hold 0.5 --linger0 || fail "client d1" "$W/d1.out"
wait "$sD_pid" || fail "backend sD failed" "$W/sD.out"
grep -q 'reset=1' "$W/sD.out" || fail "backend did not see a reset" "$W/sD.out" "$W/pD.log"
grep -q 'abort side=client err=ECONNRESET' "$W/pD.log" || fail "proxy did not abort on the client's reset" "$W/pD.log"
left=$(in_ns "$LB" "$SS" -Htan | grep -c '192\.0\.2\.2:9004')
[ "$left" = 0 ] || fail "$left upstream sockets left in lb: $(in_ns "$LB" "$SS" -Htan)"
ok "D: client reset -> upstream reset and gone, $(($(ms) - t0)) ms"
stop "$pD_pid"

# ---- E: upstream refused
start_proxy pE "$PROXY" -l 198.51.100.1:8006 -u 192.0.2.2:9005
t0=$(ms)
client e1 --dst 198.51.100.1:8006 --send 0 && fail "client e1 succeeded against a refused upstream" "$W/e1.out"
took=$(($(ms) - t0))
grep -qE 'ECONNRESET|ENOTCONN|EPIPE' "$W/e1.out" || fail "client e1 failed otherwise" "$W/e1.out"
[ "$took" -lt 3000 ] || fail "client connection closed only after $took ms"
grep -q 'abort side=upstream err=ECONNREFUSED' "$W/pE.log" || fail "proxy log" "$W/pE.log"
ok "E: upstream refused -> client reset after $took ms"
stop "$pE_pid"

# ---- F: the LD_PRELOAD shim on an untagging program
for v in "4 8007 9006 192.0.2.2:9006 203.0.113.7:4242" \
	 "6 8008 9007 [2001:db8:2::2]:9007 [2001:db8:c::7]:4242"; do
	set -- $v
	start_server "sF$1" "$3" --count 3 --expect 1000 --reply 1000 -q
	start_proxy "pF$1" env LD_PRELOAD="$PRELOAD" SDP_TOA_CLIENT="$5" \
		"$PROXY_DYN" --no-tag -l "198.51.100.1:$2" -u "$4"
	client "f$1" --dst "198.51.100.1:$2" --count 3 --send 1000 --expect-recv 1000 -q ||
		fail "client f$1" "$W/f$1.out" "$W/pF$1.log"
	eval "wait \$sF${1}_pid" || fail "backend sF$1" "$W/sF$1.out"
	eval "stop \$pF${1}_pid"
	if [ "$NOMOD" = 1 ]; then
		[ "$(count "$W/pF$1.log" 'libtoa_preload: SDP_TOA_SO_SET: Protocol not available')" = 1 ] ||
			fail "shim did not report ENOPROTOOPT once" "$W/pF$1.log"
	else
		! grep -q libtoa_preload "$W/pF$1.log" || fail "shim complained" "$W/pF$1.log"
	fi
done
if [ "$NOMOD" = 1 ]; then
	# SDP_TOA_REQUIRE=1: connect() fails, so the proxy resets the client
	start_proxy pF9 env LD_PRELOAD="$PRELOAD" SDP_TOA_CLIENT=203.0.113.7:4242 \
		SDP_TOA_REQUIRE=1 "$PROXY_DYN" --no-tag -l 198.51.100.1:8009 -u 192.0.2.2:9006
	client f9 --dst 198.51.100.1:8009 --send 0 && fail "SDP_TOA_REQUIRE=1 let an untagged connection through" "$W/pF9.log"
	grep -q 'upstream connect failed: Protocol not available' "$W/pF9.log" || fail "pF9 log" "$W/pF9.log"
	stop "$pF9_pid"
fi
ok "F: libtoa_preload.so on toa_proxy.dynamic --no-tag (SDP_TOA_CLIENT v4 and v6)"

# ---- G: privileges
if [ "$NOMOD" = 1 ]; then
	start_proxy pG1 "$PROXY" --require-tag -l 198.51.100.1:8010 -u 192.0.2.2:9008
	client g1 --dst 198.51.100.1:8010 --count 3 --send 0 && fail "--require-tag let a client through" "$W/g1.out"
	[ "$(count "$W/pG1.log" '(ENOPROTOOPT): the sdp_toa module is not loaded')" = 1 ] ||
		fail "ENOPROTOOPT not logged exactly once" "$W/pG1.log"
	grep -q 'reset client=198.51.100.10:[0-9]* tag=none(ENOPROTOOPT)' "$W/pG1.log" || fail "pG1 log" "$W/pG1.log"
	stop "$pG1_pid"
	ok "G: --require-tag without the module: ENOPROTOOPT logged once, clients reset"
else
	nobody="$SETPRIV --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all"
	start_server sG1 9008 --count 3 --expect 1000 --reply 1000 -q
	start_server sG3 9009 --count 2 --expect 1000 --reply 1000 -q
	start_proxy pG1 $nobody "$PROXY" -l 198.51.100.1:8010 -u 192.0.2.2:9008
	client g1 --dst 198.51.100.1:8010 --count 3 --send 1000 --expect-recv 1000 -q || fail "client g1" "$W/g1.out" "$W/pG1.log"
	[ "$(count "$W/pG1.log" '(EPERM): this process lacks CAP_NET_ADMIN')" = 1 ] ||
		fail "EPERM not logged exactly once" "$W/pG1.log"
	[ "$(count "$W/pG1.log" 'tag=none(EPERM)')" = 3 ] || fail "pG1 tag= fields" "$W/pG1.log"
	wait "$sG1_pid" || fail "backend sG1" "$W/sG1.out"
	stop "$pG1_pid"
	start_proxy pG2 $nobody "$PROXY" --require-tag -l 198.51.100.1:8012 -u 192.0.2.2:9008
	client g2 --dst 198.51.100.1:8012 --send 0 && fail "--require-tag let an untagged client through" "$W/pG2.log"
	grep -q 'reset client=198.51.100.10:[0-9]* tag=none(EPERM)' "$W/pG2.log" || fail "pG2 log" "$W/pG2.log"
	stop "$pG2_pid"
	echo 4242 >/sys/module/sdp_toa/parameters/allowed_gid || fail "allowed_gid"
	start_proxy pG3 "$SETPRIV" --reuid 65534 --regid 65534 --groups 4242 \
		--inh-caps=-all "$PROXY" --require-tag -l 198.51.100.1:8013 -u 192.0.2.2:9009
	client g3 --dst 198.51.100.1:8013 --count 2 --send 1000 --expect-recv 1000 -q || fail "client g3" "$W/g3.out" "$W/pG3.log"
	echo -1 >/sys/module/sdp_toa/parameters/allowed_gid
	wait "$sG3_pid" || fail "backend sG3" "$W/sG3.out"
	stop "$pG3_pid"
	ok "G: unprivileged: EPERM logged once and untagged; --require-tag resets; allowed_gid tags"
fi

# ---- the capture
kill -INT "$sniff_pid"
wait "$sniff_pid" || fail "toa_sniff failed" "$W/sniff.err"
sniff_pid=
grep -q '^# end .* drops=0 ' "$CAP" || fail "capture incomplete: $(tail -n 1 "$CAP")"

# A transmit the return hook could not watch goes without TOA: kprobes skip
# a hit nested in another kprobe on the same CPU (a softirq transmit while a
# process-context one is in the handler), which 140 concurrent flows on a
# TCG guest provoke now and then. On that path such gaps pass only when
# hook_missed accounts for every one; any other violation fails.
check() {	# check NAME TOA_CHECK_ARGS...
	name=$1
	shift
	"$BIN/toa_check" "$CAP" "$@" >"$W/check-$name.out" 2>&1 && return 0
	missing=$(grep -c '^VIOLATION.*TOA missing' "$W/check-$name.out")
	other=$(grep '^VIOLATION' "$W/check-$name.out" | grep -vc 'TOA missing')
	missed=$(sed -n 's/^hook_missed //p' /proc/1/net/sdp_toa_stats 2>/dev/null)
	# the native path has no kprobe: no gap is tolerated there
	path=$(sed -n 's/^datapath //p' /proc/1/net/sdp_toa_stats 2>/dev/null)
	if [ "$path" = kprobe ] && [ "$other" = 0 ] && [ "$missing" -gt 0 ] &&
	   [ "$missing" -le "${missed:-0}" ]; then
		echo "# $name: $missing segment(s) without TOA, all counted in hook_missed ($missed)"
		return 0
	fi
	fail "toa_check $name: $* (hook_missed=${missed:-?})" "$W/check-$name.out"
}
if [ "$NOMOD" = 1 ]; then
	check all --mode none --flows 150
	ok "capture: no TOA anywhere without the module"
else
	check A --mode handshake --server-port 9001 --flows 140
	check B --mode handshake --server-port 9002 --flows 3
	check C --mode handshake --server-port 9003 --flows 2
	check D --mode handshake --server-port 9004 --flows 1
	check F4 --mode handshake --server-port 9006 --flows 3 --addr 203.0.113.7 --port 4242 --len 8
	check F6 --mode handshake --server-port 9007 --flows 3 --addr 2001:db8:c::7 --port 4242 --len 20
	check G1 --mode none --server-port 9008 --flows 3
	check G3 --mode handshake --server-port 9009 --flows 2 --addr 198.51.100.10 --len 8
	ok "capture: TOA on the handshake ACK and until the backend's first byte, on every tagged flow"

	# Each upstream connection of A, C, D and G3 carries its own client:
	# join the proxies' "open" lines (local= is the upstream connection's
	# source) with the capture's segments from that source: the first
	# non-SYN one must carry exactly that client, and so must every later
	# one that carries a TOA at all.
	cat "$W/pA4.log" "$W/pA6.log" "$W/pC.log" "$W/pD.log" "$W/pG3.log" |
	awk -v cap="$CAP" '
	function hp(s, i) {	# "[v6]:p" or "a.b.c.d:p" -> "addr port"
		if (substr(s, 1, 1) == "[") {
			i = index(s, "]")
			return substr(s, 2, i - 2) " " substr(s, i + 2)
		}
		i = match(s, /:[0-9]+$/)
		return substr(s, 1, i - 1) " " substr(s, i + 1)
	}
	function val(f) { return substr(f, index(f, "=") + 1) }
	$3 == "open" {		# conn=N open client= upstream= local= tag=
		split(hp(val($4)), c, " ")
		split(hp(val($5)), u, " ")
		split(hp(val($6)), l, " ")
		k = l[1] " " l[2] " " u[2]
		a = c[1]
		v4 = a !~ /:/
		if (a ~ /^::ffff:[0-9.]+$/) { a = substr(a, 8); v4 = 1 }
		if (l[1] !~ /:/ && v4)	want[k] = "254/8/" a "/" c[2]
		else if (v4)		want[k] = "254/20/::ffff:" a "/" c[2]
		else			want[k] = "254/20/" a "/" c[2]
		nwant++
	}
	END {
		while ((getline line < cap) > 0) {
			if (line !~ /^dir=in /)
				continue
			nf = split(line, f, " ")
			for (i = 1; i <= nf; i++)
				v[substr(f[i], 1, index(f[i], "=") - 1)] = val(f[i])
			k = v["src"] " " v["sport"] " " v["dport"]
			if (!(k in want) || v["flags"] ~ /S/)
				continue
			if (k in seen) {
				# every later TOA is this client too
				if (v["toa"] == "none" || v["toa"] == "-")
					continue
				nlater++
				if (v["toa"] != want[k]) {
					bad++
					if (bad <= 5)
						print "upstream " k ": later toa=" v["toa"] ", want " want[k]
				}
				continue
			}
			seen[k] = 1
			if (v["toa"] != want[k]) {
				bad++
				if (bad <= 5)
					print "upstream " k ": toa=" v["toa"] ", want " want[k]
			}
			if (v["toa"] ~ /^254\/8\//) n8++; else n20++
		}
		for (k in want)
			if (!(k in seen)) { missing++; if (missing <= 5) print "no segment from " k }
		printf "joined=%d len8=%d len20=%d later_toa_checked=%d bad=%d missing=%d\n", nwant, n8, n20, nlater, bad, missing
		exit (bad || missing)
	}' >"$W/join.out" || fail "per-client TOA check" "$W/join.out"
	grep -q '^joined=145 ' "$W/join.out" || fail "join: want 145 connections" "$W/join.out"
	ok "capture: each upstream connection carries its own client's address and port: $(tail -n 1 "$W/join.out")"
fi

# the kernel's complaints since this test began (lib.sh's check_dmesg)
if dmesg 2>/dev/null | tail -n +$((dmesg_start + 1)) |
   grep -E 'BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|refcount_t|list_(add|del) corruption|stack-protector|INFO: rcu|Call Trace|kmemleak'; then
	fail "kernel complained (dmesg above)"
fi
ok "dmesg: no BUG, WARNING or Oops since the test began"

echo "80-proxy: all $n checks passed"
exit 0
