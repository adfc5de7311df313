#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 9. Tagged sockets end every way, and the module forgets each of them:
#    never connected, refused, timed out, normal close, SO_LINGER 0, owner
#    killed with SIGKILL, and owner killed after its netns was deleted.
#    sockets_live returns to 0 after each; sockets_tagged counts them all.
. /tests/lib.sh

# kill_tree PID: SIGKILL a process and its children (toa_client's workers)
kill_tree() {
	for _s in /proc/[0-9]*/status; do
		_pp=$(awk '/^PPid:/ { print $2 }' "$_s" 2>/dev/null)
		[ "$_pp" = "$1" ] || continue
		_p=${_s#/proc/}
		kill -9 "${_p%/status}" 2>/dev/null
	done
	kill -9 "$1" 2>/dev/null
}

topo_up
# orphans finish quickly
ns_sysctl lb net.ipv4.tcp_fin_timeout 2
ns_sysctl lb net.ipv4.tcp_orphan_retries 1
toa_load
tagged=0
T="--tag 203.0.113.7:4000"

log "never connected"
client n1 --no-connect $T --count 20
client n2 --no-connect -6 --tag "[2001:db8:c::7]:4000" --count 20
client n3 --no-connect $T --clear --count 5 --expect-get none
tagged=$((tagged + 45))
wait_live_zero

log "refused"
client r1 --dst $BE4:9 $T --count 5 --expect-errno ECONNREFUSED
client r2 --dst "[$BE6]:9" $T --count 5 --expect-errno ECONNREFUSED
tagged=$((tagged + 10))
wait_live_zero

log "timed out: no such host, and SYNs dropped by netem"
client t1 --dst 192.0.2.99:80 $T --syn-retries 1 \
	--expect-errno EHOSTUNREACH,ETIMEDOUT
"$IP" netns exec lb "$TC" qdisc add dev veth-lb root netem loss 100% ||
	fail "netem on lb"
client t2 --dst $BE4:8080 $T --syn-retries 1 --user-timeout 2000 \
	--expect-errno ETIMEDOUT,EHOSTUNREACH
"$IP" netns exec lb "$TC" qdisc del dev veth-lb root
tagged=$((tagged + 2))
wait_live_zero

log "normal close, both sides"
server_start s1 --listen "[::]:8081" --count 10 --expect 20000 --reply 5000
client c1 --dst $BE4:8081 $T --count 5 --send 20000 --expect-recv 5000
client c2 --dst "[$BE6]:8081" $T --count 5 --send 20000 --expect-recv 5000
server_wait s1
tagged=$((tagged + 10))
wait_live_zero

log "SO_LINGER 0"
server_start s2 --listen $BE4:8082 --count 5 --expect 1000 --reply 100 --allow-reset
client l1 --dst $BE4:8082 $T --count 5 --send 1000 --recv 100 --linger0
server_wait s2
tagged=$((tagged + 5))
wait_live_zero

log "owner killed with SIGKILL while holding established sockets"
server_start s3 --listen $BE4:8083 --count 4 --expect 1000
client_bg k1 --dst $BE4:8083 $T --parallel 4 --send 1000 --hold 90 --ready k1.rdy
wait_file k1.rdy
assert_ge "$(toa_stat sockets_live)" 4 "sockets_live while held"
kill_tree "$(cat k1.pid)"
server_wait s3
tagged=$((tagged + 4))
wait_live_zero

log "netns deleted while the owner holds sockets, then the owner killed"
server_start s4 --listen $BE4:8084 --count 4 --expect 1000
client_bg k2 --dst $BE4:8084 $T --parallel 4 --send 1000 --hold 90 --ready k2.rdy
wait_file k2.rdy
"$IP" netns exec lb "$BIN/toa_client" --no-connect $T --hold 90 --ready k3.rdy \
	--parallel 3 >k3.out 2>&1 &
echo $! >k3.pid
bg_track $!
wait_file k3.rdy
assert_ge "$(toa_stat sockets_live)" 7 "sockets_live while held"
"$IP" netns del lb || fail "ip netns del lb"
sleep 0.5
kill_tree "$(cat k2.pid)"
kill_tree "$(cat k3.pid)"
server_wait s4
tagged=$((tagged + 7))
wait_live_zero

assert_eq "$(toa_stat sockets_tagged)" "$tagged" "sockets_tagged"
assert_eq "$(toa_stat sockets_cleared)" 5 "sockets_cleared"
pass
