#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 81-demo: what "make demo" shows (scripts/demo.sh prints this test's
# output), and a test like the others in "make check".
#
#   client 198.51.100.10 --- 198.51.100.1 load balancer 192.0.2.1 --- 192.0.2.2 backend
#   (cl)                      (lb: toa_proxy, sdp_toa)      (be: toa_server, toa_sniff)
#
# One request from the client through the proxy, over IPv4 and then IPv6.
# Says in plain words who the client is, whom the backend's kernel sees as
# its peer (the proxy), and what the TOA option in the backend's capture
# says (the client); then the backend loads sdp_toa_recv, trusting the load
# balancer, and one more request each way shows getpeername() returning the
# client; then both modules' counters. Fails if the backend's peer is not
# the proxy without the receiver, or not the client with it, or the option
# does not name the client.

IP=${IP:-/opt/iproute2/ip}
BIN=${BIN:-${SDPTOA_TESTS:-/tests}/bin}
KO=${SDPTOA_KO:-/lib/sdp_toa/sdp_toa.ko}
RKO=${SDPTOA_RECV_KO:-/lib/sdp_toa/sdp_toa_recv.ko}
W=$(pwd)
pids=

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in cl lb be; do $IP netns del "$ns" 2>/dev/null; done
	[ -d /sys/module/sdp_toa_recv ] && rmmod sdp_toa_recv
}
trap cleanup EXIT

fail() {
	echo "FAIL: $1"
	shift
	for f in "$@"; do [ -f "$f" ] && { echo "--- $f"; tail -n 10 "$f"; }; done
	exit 1
}

wait_for() {	# wait_for FILE REGEX: until FILE has a line matching REGEX
	i=0
	until grep -qE "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

# field NAME LINE: the value of NAME=value in a key=value line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

[ -d /sys/module/sdp_toa ] || insmod "$KO" || fail "insmod $KO"

for ns in cl lb be; do
	$IP netns add $ns || fail "ip netns add $ns"
	$IP -n $ns link set lo up
done
$IP -n cl link add c0 type veth peer name l0 netns lb
$IP -n lb link add l1 type veth peer name b0 netns be
addr() {
	$IP -n "$1" addr add "$3" dev "$2"
	$IP -n "$1" addr add "$4" dev "$2" nodad
	$IP -n "$1" link set "$2" up
}
addr cl c0 198.51.100.10/24 2001:db8:1::10/64
addr lb l0 198.51.100.1/24 2001:db8:1::1/64
addr lb l1 192.0.2.1/24 2001:db8:2::1/64
addr be b0 192.0.2.2/24 2001:db8:2::2/64

# The backend: a capture of its interface, and a server that reports the
# peer its kernel gives it (getpeername: no TOA receiver runs here).
$IP netns exec be "$BIN/toa_sniff" -i b0 -o "$W/be.cap" --ready "$W/sniff.ready" \
	>"$W/sniff.err" 2>&1 &
sniff=$!
pids="$pids $sniff"
$IP netns exec be "$BIN/toa_server" --listen "[::]:8080" --count 4 --reply 1000 \
	--ready "$W/server.ready" >"$W/server.out" 2>&1 &
server=$!
pids="$pids $server"
# The load balancer: toa_proxy, one IPv4 and one IPv6 listener.
$IP netns exec lb "$BIN/toa_proxy" -v -l 198.51.100.1:80 -l "[2001:db8:1::1]:80" \
	-u 192.0.2.2:8080 >"$W/proxy4.log" 2>&1 &
pids="$pids $!"
$IP netns exec lb "$BIN/toa_proxy" -v -l 198.51.100.1:81 -l "[2001:db8:1::1]:81" \
	-u "[2001:db8:2::2]:8080" >"$W/proxy6.log" 2>&1 &
pids="$pids $!"
wait_for "$W/sniff.ready" . || fail "toa_sniff did not start" "$W/sniff.err"
wait_for "$W/server.ready" . || fail "toa_server did not start" "$W/server.out"
wait_for "$W/proxy4.log" '^toa_proxy: upstream' || fail "toa_proxy did not start" "$W/proxy4.log"
wait_for "$W/proxy6.log" '^toa_proxy: upstream' || fail "toa_proxy did not start" "$W/proxy6.log"

# The requests: 100 bytes each, from fixed client ports.
$IP netns exec cl "$BIN/toa_client" --bind 198.51.100.10:40000 \
	--dst 198.51.100.1:80 --send 100 --expect-recv 1000 >"$W/client4.out" 2>&1 ||
	fail "IPv4 request failed" "$W/client4.out" "$W/proxy4.log"
$IP netns exec cl "$BIN/toa_client" --bind "[2001:db8:1::10]:40001" \
	--dst "[2001:db8:1::1]:81" --send 100 --expect-recv 1000 >"$W/client6.out" 2>&1 ||
	fail "IPv6 request failed" "$W/client6.out" "$W/proxy6.log"
wait_for "$W/server.out" '^conn=1 ' || fail "toa_server did not serve both" "$W/server.out"
sleep 0.2
kill -INT "$sniff"
wait "$sniff"

# ---- tell the story
# hostport "[v6]:p" | "a.b.c.d:p" -> "addr port"
hostport() { echo "$1" | sed -e 's/^\[\(.*\)\]:\([0-9]*\)$/\1 \2/' -e 's/^\([0-9.]*\):\([0-9]*\)$/\1 \2/'; }

# story FAMILY CLIENT PROXY_LOG
story() {
	open=$(grep ' open client=' "$3" | head -n 1)
	[ -n "$open" ] || fail "no connection in $3" "$3"
	client=$(field client "$open")
	local=$(field local "$open")
	tag=$(field tag "$open")
	upstream=$(field upstream "$open")
	set -- $(hostport "$local")
	laddr=$1 lport=$2
	# what the backend's kernel said: getpeername() of the accepted socket
	# (the server listens on [::], so it reports IPv4 peers as ::ffff:a.b.c.d)
	peer=$(grep -F "$laddr]:$lport " "$W/server.out" | head -n 1)
	peer=$(field peer "$peer")
	set -- $(hostport "$peer")
	paddr=${1#::ffff:} pport=$2
	# the proxy's segments on this connection, as the backend received them
	segs=$(grep "^dir=in src=$laddr sport=$lport " "$W/be.cap")
	first=$(echo "$segs" | grep -v ' toa=none' | head -n 1)
	toa=$(field toa "$first")
	nwith=$(echo "$segs" | grep -vc ' toa=none')
	nall=$(echo "$segs" | grep -c .)
	oldifs=$IFS
	IFS=/
	set -- $toa
	IFS=$oldifs
	kind=$1 len=$2 taddr=$3 tport=$4
	set -- $(hostport "$client")
	caddr=${1#::ffff:} cport=$2

	echo "  1. The client's real address: $caddr, port $cport. It sends a request"
	echo "     to the load balancer."
	echo "  2. toa_proxy accepts it, opens its own connection to the backend ($upstream)"
	echo "     and tags it with $tag (setsockopt SDP_TOA_SO_SET, before connect())."
	echo "  3. The backend's kernel sees the connection coming from $paddr, port $pport:"
	echo "     that is the load balancer, not the client."
	echo "  4. The TOA option in the backend's capture says: address $taddr, port $tport"
	echo "     (option kind $kind, length $len): the client's real address and port."
	echo "     It rode on $nwith of the $nall segments the proxy sent: the handshake ACK and"
	echo "     those before the backend's first byte."

	# the checks behind the words
	[ "$paddr" = "$laddr" ] && [ "$pport" = "$lport" ] ||
		fail "backend's peer is '$peer', expected the proxy $local" "$W/server.out"
	[ "$tport" = "$cport" ] && [ "${taddr#::ffff:}" = "$caddr" ] ||
		fail "TOA says $taddr port $tport, expected $caddr port $cport" "$W/be.cap"
}

echo
echo "=== sdp_toa demo: three hosts (network namespaces) in one QEMU guest ==="
echo "  client 198.51.100.10 --- load balancer 198.51.100.1 / 192.0.2.1 --- backend 192.0.2.2"
echo "  sdp_toa on the load balancer: $(dmesg | sed -n 's/.*sdp_toa .* loaded: //p' | tail -n 1)"
echo "  The load balancer runs toa_proxy (examples/toa_proxy.c); the backend runs a plain server"
echo "  and a capture of its interface, first with no TOA receiver, then with sdp_toa_recv."
echo
echo "--- IPv4"
story 4 198.51.100.10 "$W/proxy4.log"
bytes=$(printf '%02x %02x %02x %02x %02x %02x %02x %02x' "$kind" "$len" \
	$((tport >> 8)) $((tport & 255)) $(echo "$taddr" | tr . ' '))
echo "     On the wire those are 8 bytes in the TCP header: $bytes"
echo "     (kind, length, port, address)."
echo
echo "--- IPv6 (client -> load balancer -> backend over IPv6)"
story 6 2001:db8:1::10 "$W/proxy6.log"
echo
echo "--- The backend loads the receiver: modprobe sdp_toa_recv trusted=192.0.2.1,2001:db8:2::1"
insmod "$RKO" trusted=192.0.2.1,2001:db8:2::1 || fail "insmod $RKO"
echo "  (it believes TOA only from the load balancer's addresses; a client that reached the"
echo "  backend directly could not claim another address)"
$IP netns exec cl "$BIN/toa_client" --bind 198.51.100.10:40002 \
	--dst 198.51.100.1:80 --send 100 --expect-recv 1000 >"$W/client4b.out" 2>&1 ||
	fail "IPv4 request failed" "$W/client4b.out" "$W/proxy4.log"
$IP netns exec cl "$BIN/toa_client" --bind "[2001:db8:1::10]:40003" \
	--dst "[2001:db8:1::1]:81" --send 100 --expect-recv 1000 >"$W/client6b.out" 2>&1 ||
	fail "IPv6 request failed" "$W/client6b.out" "$W/proxy6.log"
wait "$server" || fail "toa_server failed" "$W/server.out"
p4=$(field peer "$(grep '^conn=2 ' "$W/server.out")")
p6=$(field peer "$(grep '^conn=3 ' "$W/server.out")")
echo "  5. A request from 198.51.100.10 port 40002: the backend's getpeername() now says $p4"
echo "     (the server listens on [::]: an IPv4 client reads as ::ffff:a.b.c.d)."
echo "  6. A request from 2001:db8:1::10 port 40003 over IPv6: getpeername() says $p6."
[ "$p4" = "[::ffff:198.51.100.10]:40002" ] ||
	fail "with the receiver, the backend's peer is '$p4', expected the client" "$W/server.out"
[ "$p6" = "[2001:db8:1::10]:40003" ] ||
	fail "with the receiver, the backend's peer is '$p6', expected the client" "$W/server.out"
echo "  LVS, DPVS, Huawei and UCloud receivers read the same option, if a backend runs one of them."
echo
echo "--- sender counters (load balancer), /proc/net/sdp_toa_stats"
sed 's/^/  /' /proc/net/sdp_toa_stats
echo
echo "--- receiver counters (backend), /proc/net/sdp_toa_recv_stats"
sed 's/^/  /' /proc/net/sdp_toa_recv_stats
tagged=$(sed -n 's/^sockets_tagged //p' /proc/net/sdp_toa_stats)
[ "${tagged:-0}" -ge 4 ] || fail "sockets_tagged is ${tagged:-missing}, expected 4"
echo
exit 0
