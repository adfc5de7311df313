# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# /tests/lib.sh - sourced by every /tests/integration/*.sh inside the guest
# (busybox sh). The guest init runs each test in its own /tmp/<name> as cwd,
# with no module loaded and no netns, and cleans up after it.
#
# Topology (topo_up):   netns lb  veth-lb ===== veth-be  netns be
#                             192.0.2.1/24        192.0.2.2/24
#                             2001:db8::1/64      2001:db8::2/64
# Fake clients (tag values only): 203.0.113.0/24, 2001:db8:c::/48.
#
# Helpers fail the test themselves ("FAIL: why", exit 1); a test ends with
# pass, which also checks that dmesg has no kernel complaint since it began.

IP=${IP:-/opt/iproute2/ip}		# never busybox's ip applet
TC=${TC:-/opt/iproute2/tc}
SS=${SS:-/opt/iproute2/ss}
ETHTOOL=${ETHTOOL:-/opt/tools/ethtool}
KO=${SDPTOA_KO:-/lib/sdp_toa/sdp_toa.ko}
TESTS=${SDPTOA_TESTS:-/tests}
BIN=$TESTS/bin
PARAMS=/sys/module/sdp_toa/parameters
STATS=/proc/net/sdp_toa_stats
TEST_NAME=$(basename "$0" .sh)

LB4=192.0.2.1
BE4=192.0.2.2
LB6=2001:db8::1
BE6=2001:db8::2
# TCG is slow: generous waits; each tool has its own --timeout too.
WAIT=${WAIT:-60}

_bg=""			# background pids to stop on exit
_dmesg_start=$(dmesg 2>/dev/null | wc -l)

log() { echo "# $*"; }

_cleanup() {
	for p in $_bg; do kill "$p" 2>/dev/null; done
	_bg=""
}
trap _cleanup EXIT

fail() {
	echo "FAIL: $TEST_NAME: $*"
	_cleanup
	exit 1
}

bg_track() { _bg="$_bg $1"; }

# Kernel messages since this test began.
dmesg_new() { dmesg | tail -n +$((_dmesg_start + 1)); }

check_dmesg() {
	if dmesg_new | grep -E 'BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|refcount_t|list_(add|del) corruption|stack-protector|INFO: rcu|Call Trace|kmemleak'; then
		fail "kernel complained (dmesg above)"
	fi
}

pass() {
	check_dmesg
	echo "PASS: $TEST_NAME"
	_cleanup
	exit 0
}

# skip REASON: this test does not apply here (the tally says SKIP, not PASS)
SKIP_RC=77
skip() {
	check_dmesg
	echo "SKIP: $TEST_NAME: $*"
	echo "$*" >"/tmp/$TEST_NAME.skip"
	_cleanup
	exit $SKIP_RC
}

# ---- assertions -------------------------------------------------------------
assert_eq() {	# A B MSG
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}
assert_ne() {
	[ "$1" != "$2" ] || fail "$3: got '$1'"
}
assert_gt() {	# A B MSG: A > B (integers)
	[ "$1" -gt "$2" ] 2>/dev/null || fail "$3: $1 is not > $2"
}
assert_ge() {
	[ "$1" -ge "$2" ] 2>/dev/null || fail "$3: $1 is not >= $2"
}
assert_grep() {	# PATTERN FILE MSG (extended regex)
	grep -qE "$1" "$2" || { cat "$2"; fail "$3: no /$1/ in $2"; }
}
assert_nogrep() {
	! grep -E "$1" "$2" || fail "$3: /$1/ found in $2"
}
count() {	# PATTERN FILE: matching lines
	grep -cE "$1" "$2" 2>/dev/null || true
}

# wait_file PATH [SECS]
wait_file() {
	_n=$(( ${2:-$WAIT} * 10 ))
	while [ ! -e "$1" ]; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || fail "timed out waiting for $1"
		sleep 0.1
	done
}

# wait_until SECS CMD...: until CMD succeeds; 1 on timeout (caller decides)
wait_until() {
	_n=$(( $1 * 10 ))
	shift
	while ! "$@"; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# ---- topology -----------------------------------------------------------------
in_lb() { "$IP" netns exec lb "$@"; }
in_be() { "$IP" netns exec be "$@"; }

topo_up() {
	"$IP" netns add lb || fail "ip netns add lb"
	"$IP" netns add be || fail "ip netns add be"
	"$IP" link add veth-lb netns lb type veth peer name veth-be netns be ||
		fail "creating the veth pair"
	"$IP" -n lb addr add $LB4/24 dev veth-lb &&
	"$IP" -n lb addr add $LB6/64 dev veth-lb nodad &&
	"$IP" -n be addr add $BE4/24 dev veth-be &&
	"$IP" -n be addr add $BE6/64 dev veth-be nodad &&
	"$IP" -n lb link set lo up && "$IP" -n be link set lo up &&
	"$IP" -n lb link set veth-lb up && "$IP" -n be link set veth-be up ||
		fail "configuring the topology"
	# The veth pair comes up asynchronously.
	wait_until "$WAIT" in_lb ping -c 1 -W 1 $BE4 >/dev/null 2>&1 ||
		fail "lb cannot ping be"
}

# one_seg_skbs NS DEV: every skb that TCP hands DEV is one wire segment, so
# that netem drops single segments, not whole bursts. TSO/GSO off is not
# enough: TCP always builds GSO skbs (software GSO splits them after the
# qdisc); gso_max_segs 1 caps them at one MSS. Logs where it cannot.
one_seg_skbs() {
	"$IP" netns exec "$1" "$ETHTOOL" -K "$2" tso off gso off >/dev/null 2>&1 ||
		log "ethtool -K $2 tso off gso off failed; losses will be coarser"
	"$IP" -n "$1" link set dev "$2" gso_max_segs 1 ||
		log "$2: gso_max_segs 1 failed; losses will be coarser"
}

# offloads_off: TSO, GSO and GRO off on both veths, so that every segment
# is captured as it goes on the wire (no super-segments to split later)
offloads_off() {
	for _d in "lb veth-lb" "be veth-be"; do
		set -- $_d
		"$IP" netns exec "$1" "$ETHTOOL" -K "$2" tso off gso off gro off ||
			fail "ethtool -K $2 tso off gso off gro off"
	done
}

# ns_sysctl NS KEY VALUE
ns_sysctl() {
	"$IP" netns exec "$1" sh -c "echo $3 > /proc/sys/$(echo "$2" | tr . /)" ||
		fail "sysctl $2=$3 in $1"
}

# ---- the module ------------------------------------------------------------------
# "sdptoa.datapath=kprobe" (or native) on the kernel command line: every
# load that does not choose a path asks for that one; the same for
# "sdptoa.return_hook=kretprobe" (or wrapper), the kprobe path's return hook
_datapath=$(sed -n 's/.*sdptoa\.datapath=\([a-z]*\).*/\1/p' /proc/cmdline)
_rethook=$(sed -n 's/.*sdptoa\.return_hook=\([a-z]*\).*/\1/p' /proc/cmdline)
toa_load() {	# [param=value ...]
	_dp=
	case " $* " in
	*" datapath="*) ;;
	*) [ -n "$_datapath" ] && _dp="datapath=$_datapath" ;;
	esac
	case " $* " in
	*" return_hook="*) ;;
	*) [ -n "$_rethook" ] && _dp="$_dp return_hook=$_rethook" ;;
	esac
	insmod "$KO" $_dp "$@" || fail "insmod $KO $_dp $*"
	[ -d /sys/module/sdp_toa ] || fail "insmod succeeded but no /sys/module/sdp_toa"
	[ -e "$STATS" ] || fail "module loaded but no $STATS"
}

toa_load_fails() {	# [param=value ...]: insmod must fail, leave nothing
	if insmod "$KO" "$@" 2>insmod.err; then
		rmmod sdp_toa
		fail "insmod with '$*' succeeded"
	fi
	[ ! -d /sys/module/sdp_toa ] || fail "failed insmod '$*' left the module loaded"
	log "insmod $* refused: $(cat insmod.err)"
}

toa_unload() {
	rmmod sdp_toa || fail "rmmod sdp_toa"
	[ ! -d /sys/module/sdp_toa ] || fail "module still there after rmmod"
	[ ! -e "$STATS" ] || fail "$STATS still there after rmmod"
}

# toa_unload_busy: rmmod while other threads may be inside our socket
# option handlers (which hold a module reference for a moment): retry
toa_unload_busy() {
	_i=0
	while ! rmmod sdp_toa 2>rmmod.err; do
		_i=$((_i + 1))
		[ "$_i" -lt 50 ] || fail "rmmod sdp_toa: $(cat rmmod.err)"
		sleep 0.1
	done
	[ "$_i" = 0 ] || log "rmmod needed $((_i + 1)) tries: $(cat rmmod.err)"
	[ ! -d /sys/module/sdp_toa ] || fail "module still there after rmmod"
}

toa_stat() {	# NAME -> value
	awk -v n="$1" '$1 == n { print $2; f = 1 } END { exit !f }' "$STATS" ||
		fail "no counter $1 in $STATS"
}

# the data path the loaded module uses: native or kprobe
toa_datapath() { cat /sys/module/sdp_toa/parameters/datapath; }
# its return hook: wrapper or kretprobe (kprobe path), none (native)
toa_return_hook() { cat /sys/module/sdp_toa/parameters/return_hook; }

toa_stats_dump() { sed 's/^/#   /' "$STATS"; }

toa_param() { cat "$PARAMS/$1" || fail "no parameter $1"; }

# toa_param_set NAME VALUE: returns the write's status (no fail)
toa_param_set() { echo "$2" > "$PARAMS/$1"; }

# wait_live_zero [SECS]: sockets_live must drain to 0
wait_live_zero() {
	_live_zero() { [ "$(toa_stat sockets_live)" = 0 ]; }
	wait_until "${1:-$WAIT}" _live_zero ||
		{ toa_stats_dump; in_lb "$SS" -tan 2>/dev/null | head -20;
		  fail "sockets_live stuck at $(toa_stat sockets_live)"; }
}

# ---- the receiver (sdp_toa_recv), loaded in the same guest: it sees the
# backend's connections (be) like any other netns's
RKO=${SDPTOA_RECV_KO:-/lib/sdp_toa/sdp_toa_recv.ko}
RPARAMS=/sys/module/sdp_toa_recv/parameters
RSTATS=/proc/net/sdp_toa_recv_stats
# the senders of the tests: lb's addresses
RTRUST=192.0.2.1/32,2001:db8::1/128

recv_load() {	# [param=value ...] (default trusted=$RTRUST)
	case " $* " in
	*" trusted="*) insmod "$RKO" "$@" ;;
	*) insmod "$RKO" trusted=$RTRUST "$@" ;;
	esac || fail "insmod $RKO $*"
	[ -e "$RSTATS" ] || fail "receiver loaded but no $RSTATS"
}

recv_load_fails() {	# [param=value ...]: insmod must fail, leave nothing
	if insmod "$RKO" "$@" 2>insmod.err; then
		rmmod sdp_toa_recv
		fail "insmod sdp_toa_recv '$*' succeeded"
	fi
	[ ! -d /sys/module/sdp_toa_recv ] ||
		fail "failed insmod sdp_toa_recv '$*' left the module loaded"
	log "insmod sdp_toa_recv $* refused: $(cat insmod.err)"
}

recv_unload() {
	rmmod sdp_toa_recv || fail "rmmod sdp_toa_recv"
	[ ! -d /sys/module/sdp_toa_recv ] || fail "sdp_toa_recv still there after rmmod"
	[ ! -e "$RSTATS" ] || fail "$RSTATS still there after rmmod"
}

recv_stat() {	# NAME -> value
	awk -v n="$1" '$1 == n { print $2; f = 1 } END { exit !f }' "$RSTATS" ||
		fail "no counter $1 in $RSTATS"
}

recv_stats_dump() { sed 's/^/#   /' "$RSTATS"; }

# recv_param_set NAME VALUE: returns the write's status (no fail)
recv_param_set() { echo "$2" > "$RPARAMS/$1"; }

# recv_peer NAME: the peer= (getpeername) of server NAME's first connection
recv_peer() { grep -o ' peer=[^ ]*' "$1.out" | head -1 | cut -d= -f2; }

# recv_wait_live_zero [SECS]: the receiver's table must drain to 0
recv_wait_live_zero() {
	_rlive_zero() { [ "$(recv_stat sockets_live)" = 0 ]; }
	wait_until "${1:-$WAIT}" _rlive_zero ||
		{ recv_stats_dump;
		  fail "receiver sockets_live stuck at $(recv_stat sockets_live)"; }
}

# ---- real proxies (Debian's haproxy and nginx, unmodified) ------------------------
# topo_proxy_up: topo_up plus a client host "cl" (198.51.100.10, 2001:db8:1::10)
# on a second link to lb (198.51.100.1, 2001:db8:1::1), holding NCLIENT client
# addresses 203.0.113.100.. and 2001:db8:c::100.. (hex) that lb routes to it;
# be runs sdp_toa_recv trusting lb; lb runs sdp_toa with allowed_gid for the
# proxies' users.
PROXIES=/opt/proxies
TPLIB=$BIN/libsdp_toa_transparent.so
CL4=198.51.100.10 CL6=2001:db8:1::10 LBF4=198.51.100.1 LBF6=2001:db8:1::1
C4BASE=203.0.113.100 C6BASE=2001:db8:c::100
topo_proxy_up() {	# NCLIENT
	[ -x $PROXIES/haproxy ] && [ -x $PROXIES/nginx ] ||
		skip "no Debian haproxy/nginx in this guest (host: make deps; foreign architectures have none)"
	# (the bench has lb and be already)
	"$IP" netns list | grep -q '^lb\b' || topo_up
	"$IP" netns add cl || fail "ip netns add cl"
	"$IP" link add veth-cl netns cl type veth peer name veth-lbf netns lb ||
		fail "creating the client veth pair"
	"$IP" -n cl addr add $CL4/24 dev veth-cl &&
	"$IP" -n cl addr add $CL6/64 dev veth-cl nodad &&
	"$IP" -n lb addr add $LBF4/24 dev veth-lbf &&
	"$IP" -n lb addr add $LBF6/64 dev veth-lbf nodad &&
	"$IP" -n cl link set lo up && "$IP" -n cl link set veth-cl up &&
	"$IP" -n lb link set veth-lbf up ||
		fail "configuring the client link"
	_i=0
	while [ $_i -lt "$1" ]; do
		"$IP" -n cl addr add 203.0.113.$((100 + _i))/32 dev lo &&
		"$IP" -n cl addr add 2001:db8:c::$(printf %x $((256 + _i)))/128 dev lo nodad ||
			fail "client address $_i"
		_i=$((_i + 1))
	done
	"$IP" -n lb route add 203.0.113.0/24 via $CL4 &&
	"$IP" -n lb -6 route add 2001:db8:c::/64 via $CL6 ||
		fail "routes to the clients"
	wait_until "$WAIT" "$IP" netns exec cl ping -c 1 -W 1 $LBF4 >/dev/null 2>&1 ||
		fail "cl cannot ping lb"
}

# lb_listens PORT: something in lb listens on TCP PORT
lb_listens() { "$IP" netns exec lb "$SS" -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# peer_serve NAME LISTEN...: toa_peer serve in be (NAME.out), until peer_stop
peer_serve() {
	_name=$1
	shift
	_args=
	for _l; do _args="$_args --listen $_l"; done
	rm -f "$_name.rdy"
	"$IP" netns exec be "$BIN/toa_peer" serve $_args --ready "$_name.rdy" \
		>"$_name.out" 2>&1 &
	echo $! >"$_name.pid"
	bg_track $!
	wait_file "$_name.rdy"
}
peer_stop() { kill -TERM "$(cat "$1.pid")"; wait "$(cat "$1.pid")"; }

# peer_load NAME ARGS...: toa_peer load in cl; must exit 0 (NAME.out)
peer_load() {
	_name=$1
	shift
	"$IP" netns exec cl "$BIN/toa_peer" load "$@" >"$_name.out" 2>&1
	_rc=$?
	sed "s/^/# $_name: /" "$_name.out" | tail -6
	[ "$_rc" = 0 ] || fail "$_name: $(tail -1 "$_name.out")"
}
peer_load_bg() {
	_name=$1
	shift
	"$IP" netns exec cl "$BIN/toa_peer" load "$@" >"$_name.out" 2>&1 &
	echo $! >"$_name.pid"
	bg_track $!
}
peer_load_wait() {
	wait "$(cat "$1.pid")"
	_rc=$?
	sed "s/^/# $1: /" "$1.out" | tail -6
	[ "$_rc" = 0 ] || fail "$1: $(tail -1 "$1.out")"
}
# peer_conns NAME: connections a load made (after it ended)
peer_conns() { sed -n 's/^load: conns=\([0-9]*\).*/\1/p' "$1.out"; }

# haproxy_test_up / nginx_test_up: what the haproxy and nginx tests share:
# the hosts (100 clients per family), sdp_toa (nginx's www-data workers
# tag through allowed_gid=33), the receiver in be, the backend (toa_peer),
# the proxy running with the preload library
haproxy_test_up() {
	topo_proxy_up 100
	toa_load
	recv_load
	peer_serve pb $BE4:9001 $BE4:9002 "[$BE6]:9003" $BE4:9004 $BE4:9005
	haproxy_conf
	haproxy_start h1
}
nginx_test_up() {
	topo_proxy_up 100
	toa_load allowed_gid=33
	recv_load
	peer_serve pb $BE4:9011 $BE4:9012 $BE4:9013 "[$BE6]:9014"
	nginx_up	# sets W
}

# haproxy_conf: haproxy.cfg for the haproxy tests (frontends 7001-7005)
haproxy_conf() {
cat >haproxy.cfg <<HAPROXY_CFG
global
	maxconn 4000
	# no "user": HAProxy 2.6 refuses to drop privileges with usesrc lines
defaults
	timeout connect 10s
	timeout client 60s
	timeout server 60s
	retries 3
	# without it, a soft stop (reload) closes HTTP connections accepted
	# whose request has not arrived yet: HAProxy's own behaviour, with or
	# without the library (seen: 30 of 438 requests of E with no answer)
	option idle-close-on-response
frontend ft_tcp
	mode tcp
	bind $LBF4:7001
	bind [$LBF6]:7001
	default_backend bk_tcp
backend bk_tcp
	mode tcp
	source 0.0.0.0 usesrc clientip
	server s1 $BE4:9001
frontend ft_http
	mode http
	bind $LBF4:7002
	bind [$LBF6]:7002
	default_backend bk_http
backend bk_http
	mode http
	source 0.0.0.0 usesrc client
	server s1 $BE4:9002
frontend ft_v6
	mode tcp
	bind $LBF4:7003
	default_backend bk_v6
backend bk_v6
	mode tcp
	source [::] usesrc clientip
	server s1 [$BE6]:9003
frontend ft_plain
	mode tcp
	bind $LBF4:7004
	default_backend bk_plain
backend bk_plain
	mode tcp
	server s1 $BE4:9004
frontend ft_http_plain
	mode http
	bind [$LBF6]:7005
	default_backend bk_http_plain
backend bk_http_plain
	mode http
	server s1 $BE4:9005
HAPROXY_CFG
}

# haproxy_start NAME [VAR=VALUE...]: master-worker in lb, preloaded
haproxy_start() {
	_hn=$1
	shift
	"$IP" netns exec lb $PROXIES/haproxy -c -f haproxy.cfg >"$_hn.check" 2>&1 ||
		{ cat "$_hn.check"; fail "haproxy -c: the configuration"; }
	"$IP" netns exec lb env LD_PRELOAD=$TPLIB "$@" \
		$PROXIES/haproxy -W -db -f haproxy.cfg >"$_hn.log" 2>&1 &
	echo $! >"$_hn.pid"
	bg_track $!
	wait_until "$WAIT" lb_listens 7004 ||
		{ cat "$_hn.log"; fail "haproxy did not start"; }
}
haproxy_stop() {
	kill -TERM "$(cat "$1.pid")"
	wait "$(cat "$1.pid")"
	sed "s/^/# $1: /" "$1.log" | grep -v 'Proxy .* started' | tail -8
}

# nginx_up: nginx.conf for the nginx tests (8001-8004), nginx -t, then the
# master in lb, preloaded (nginx.pid), until it listens and its 2 workers run
nginx_up() {
W=$(pwd)
mkdir -p "$W/ngx"
# (the configuration's lines are not indented: a here-document)

cat >nginx.conf <<NGINX_CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
user www-data;
worker_processes 2;
pid $W/ngx/nginx.pid;
error_log $W/ngx/error.log notice;
events { worker_connections 2048; }
http {
	access_log off;
	client_body_temp_path $W/ngx/body;
	proxy_temp_path $W/ngx/proxy;
	fastcgi_temp_path $W/ngx/fastcgi;
	uwsgi_temp_path $W/ngx/uwsgi;
	scgi_temp_path $W/ngx/scgi;
	server {
		listen $LBF4:8001;
		listen [$LBF6]:8001;
		location / {
			proxy_pass http://$BE4:9011;
			proxy_bind \$remote_addr transparent;
		}
	}
	server {
		listen $LBF4:8002;
		location / { proxy_pass http://$BE4:9012; }
	}
}
stream {
	server {
		listen $LBF4:8003;
		listen [$LBF6]:8003;
		proxy_pass $BE4:9013;
		proxy_bind \$remote_addr transparent;
	}
	server {
		listen $LBF4:8004;
		proxy_pass [$BE6]:9014;
		proxy_bind \$remote_addr transparent;
	}
}
NGINX_CONF

"$IP" netns exec lb env LD_PRELOAD=$TPLIB $PROXIES/nginx -t -c "$W/nginx.conf" \
	-e "$W/ngx/error.log" >nginx.check 2>&1 ||
	{ cat nginx.check; fail "nginx -t: the configuration"; }
"$IP" netns exec lb env LD_PRELOAD=$TPLIB $PROXIES/nginx -c "$W/nginx.conf" \
	-e "$W/ngx/error.log" -g 'daemon off;' >nginx.out 2>&1 &
echo $! >nginx.pid
bg_track $!
wait_until "$WAIT" lb_listens 8004 ||
	{ cat nginx.out "$W/ngx/error.log"; fail "nginx did not start"; }
# the workers are www-data, without CAP_NET_ADMIN (nginx keeps CAP_NET_RAW
# for them when a proxy_bind is transparent; tagging needs neither)
sleep 1
workers=0
for s in /proc/[0-9]*/status; do
	grep -q '^Name:.*nginx' "$s" 2>/dev/null || continue
	grep -q '^Uid:[[:space:]]*33[[:space:]]' "$s" || continue
	workers=$((workers + 1))
	cap=$(awk '/^CapEff:/ { print $2 }' "$s")
	[ $((0x$cap & 0x1000)) = 0 ] ||
		fail "an nginx worker has CAP_NET_ADMIN: CapEff $cap"
done
assert_eq "$workers" 2 "nginx workers running as www-data"
}

# ---- programs ---------------------------------------------------------------------
# Background programs are started as '"$IP" netns exec NS PROG &' so that $!
# is the program itself (ip execs it), which kill and wait then reach.
# server_start NAME ARGS...: toa_server in be, NAME.out, waits until listening
server_start() {
	_name=$1
	shift
	rm -f "$_name.rdy"
	# "$IP" itself, not in_be: a backgrounded function is a subshell, and
	# $! would then not be the program's pid
	"$IP" netns exec be "$BIN/toa_server" --ready "$_name.rdy" \
		--timeout 100 "$@" >"$_name.out" 2>&1 &
	echo $! >"$_name.pid"
	bg_track $!
	wait_file "$_name.rdy"
}

# server_wait NAME: the server must have exited 0
server_wait() {
	wait "$(cat "$1.pid")"
	_rc=$?
	sed "s/^/# $1: /" "$1.out"
	[ "$_rc" = 0 ] || fail "server $1 failed (exit $_rc)"
}

# client NAME ARGS...: toa_client in lb, must exit 0 (output in NAME.out)
client() {
	_name=$1
	shift
	in_lb "$BIN/toa_client" --timeout 100 "$@" >"$_name.out" 2>&1
	_rc=$?
	sed "s/^/# $_name: /" "$_name.out" | tail -20
	[ "$_rc" = 0 ] || fail "client $_name failed (exit $_rc): $(tail -3 "$_name.out")"
}

# client_bg NAME ARGS...: same, in the background; client_wait NAME
client_bg() {
	_name=$1
	shift
	"$IP" netns exec lb "$BIN/toa_client" --timeout 100 "$@" \
		>"$_name.out" 2>&1 &
	echo $! >"$_name.pid"
	bg_track $!
}
client_wait() {
	wait "$(cat "$1.pid")"
	_rc=$?
	sed "s/^/# $1: /" "$1.out" | tail -20
	[ "$_rc" = 0 ] || fail "client $1 failed (exit $_rc): $(tail -3 "$1.out")"
}

# sniff_start [NAME [toa_sniff args...]]: capture on be's veth into NAME.txt
sniff_start() {
	_name=${1:-cap}
	[ $# -gt 0 ] && shift
	rm -f "$_name.rdy"
	"$IP" netns exec be "$BIN/toa_sniff" -i veth-be -o "$_name.txt" \
		--ready "$_name.rdy" "$@" 2>"$_name.err" &
	echo $! >"$_name.sniffpid"
	bg_track $!
	wait_file "$_name.rdy"
}

sniff_stop() {	# [NAME]
	_name=${1:-cap}
	# let the last segments of a closing connection reach the wire
	sleep 0.3
	kill -TERM "$(cat "$_name.sniffpid")"
	wait "$(cat "$_name.sniffpid")" || fail "toa_sniff $_name failed: $(cat "$_name.err")"
	grep -q '^# end ' "$_name.txt" || fail "capture $_name has no end line"
	log "capture $_name: $(grep -vc '^#' "$_name.txt") segments, $(tail -1 "$_name.txt")"
}

# check NAME toa_check-args...: the capture must pass
check() {
	_name=$1
	shift
	"$BIN/toa_check" "$_name.txt" "$@" >"$_name.check" 2>&1
	_rc=$?
	sed "s/^/# check $_name: /" "$_name.check" | tail -45
	[ "$_rc" = 0 ] || fail "toa_check $* on $_name found violations"
}

# check_fails NAME toa_check-args...: the capture must NOT pass
check_fails() {
	_name=$1
	shift
	if "$BIN/toa_check" "$_name.txt" "$@" >"$_name.check" 2>&1; then
		cat "$_name.check"
		fail "toa_check $* on $_name passed, expected violations"
	fi
}

# toa_segs NAME PATTERN: capture lines with a TOA matching PATTERN
toa_segs() { grep -cE " toa=$2" "$1.txt" || true; }

# ---- hardening tests (6x-hard-*.sh) ------------------------------------------------
# Short runs in make check; "sdptoa.stress=1" on the kernel command line
# (make check-stress) selects the long ones.
hard_stress() { grep -q 'sdptoa\.stress=1' /proc/cmdline; }
# hard_scale SHORT LONG: the number for this run
hard_scale() { if hard_stress; then echo "$2"; else echo "$1"; fi; }

# sink_start NAME ARGS...: toa_stress sink in be (NAME.out), until sink_stop
sink_start() {
	_name=$1
	shift
	rm -f "$_name.rdy"
	"$IP" netns exec be "$BIN/toa_stress" sink --ready "$_name.rdy" "$@" \
		>"$_name.out" 2>&1 &
	echo $! >"$_name.pid"
	bg_track $!
	wait_file "$_name.rdy"
}
# sink_stop NAME: stop it; it must have seen no bad connection
sink_stop() {
	kill -TERM "$(cat "$1.pid")"
	wait "$(cat "$1.pid")"
	_rc=$?
	sed "s/^/# $1: /" "$1.out" | tail -5
	[ "$_rc" = 0 ] || fail "sink $1 saw bad connections (exit $_rc)"
}
# sink_conns NAME: connections it served (after sink_stop)
sink_conns() { sed -n 's/^sink: conns=\([0-9]*\).*/\1/p' "$1.out"; }

# load_bg NAME ARGS...: toa_stress load in lb (NAME.out), in the background
load_bg() {	# NAME ARGS...
	_n=$1
	shift
	"$IP" netns exec lb "$BIN/toa_stress" load "$@" >"$_n.out" 2>&1 &
	echo $! >"$_n.pid"
	bg_track $!
}
# load_wait NAME: it must succeed; adds its connections to $n
load_wait() {
	wait "$(cat "$1.pid")"
	_rc=$?
	sed "s/^/# $1: /" "$1.out" | tail -3
	[ "$_rc" = 0 ] || fail "load $1 failed: $(tail -2 "$1.out")"
	n=$((n + $(sed -n 's/^load: conns=\([0-9]*\).*/\1/p' "$1.out")))
}

# snmp NS PROTO FIELD: a counter of /proc/net/snmp (Ip FragFails, Tcp
# RetransSegs, ...) or, with PROTO "Ip6", /proc/net/snmp6, in netns NS
snmp() {
	if [ "$2" = Ip6 ]; then
		"$IP" netns exec "$1" awk -v k="Ip6$3" '$1 == k { print $2 }' /proc/net/snmp6
	else
		"$IP" netns exec "$1" awk -v p="$2:" -v k="$3" '
			$1 == p && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
			$1 == p && h { print $c[k] }' /proc/net/snmp
	fi
}

# check_module_warnings: our module's own warnings since the test began
# (an option reserved and never written; unload waiting on hook callbacks)
check_module_warnings() {
	if dmesg_new | grep -E 'sdp_toa: .*(never written|waiting for [0-9]+ hook)'; then
		fail "module warnings in dmesg (above)"
	fi
}

# cap_lossless NAME: capture NAME.txt lost no segment (its end line says so)
cap_lossless() { grep -q ' drops=0 vnet_errors=0' "$1.txt"; }

# cap_sane NAME [ALLOWED]: every segment of capture NAME.txt has a well-formed
# option area, no unattributable option, at most one TOA (a capture that lost
# segments is logged and checked for what it holds); with ALLOWED (an extended regex), every TOA present matches it
# (e.g. '254/8/203\.0\.113\.7/4000').  Counts the checked segments into
# $hard_segs.
hard_segs=0
cap_sane() {
	assert_eq "$(count 'malformed=1' "$1.txt")" 0 "$1: malformed option areas"
	assert_eq "$(count ' unknown=[^-]' "$1.txt")" 0 "$1: unattributable options"
	assert_eq "$(count ' ntoa=([2-9]|[1-9][0-9])' "$1.txt")" 0 "$1: segments with two TOAs"
	# a capture that could not keep up (debug kernels) checks what it saw
	cap_lossless "$1" ||
		log "$1: the capture lost segments ($(tail -1 "$1.txt")); checking what it has"
	if [ -n "${2:-}" ]; then
		grep -o ' toa=[^ ]*' "$1.txt" | grep -v '^ toa=none$' |
			grep -vE "^ toa=($2)\$" | sort | uniq -c | head -20 >"$1.badtoa"
		[ -s "$1.badtoa" ] && { cat "$1.badtoa"; fail "$1: TOAs with unexpected content (above)"; }
	fi
	hard_segs=$((hard_segs + $(grep -vc '^#' "$1.txt")))
}

# seconds since this test began (for the "figures" lines)
_hard_t0=$(cut -d. -f1 /proc/uptime)
hard_took() { echo "$(($(cut -d. -f1 /proc/uptime) - _hard_t0))s"; }

# The return hook can miss calls (hook_missed: a kprobe hit while another
# kprobe runs on the CPU is skipped; frequent on debug kernels). A missed
# transmit goes without TOA, a missed sizing makes the next segments go
# without it: never over the MTU. toa_check_opts_since N: the toa_check
# option that allows that when hook_missed moved since it was N.
toa_check_opts_since() {
	_m=$(toa_stat hook_missed)
	if [ "$_m" != "$1" ]; then
		log "hook_missed $1 -> $_m: missing TOAs allowed in this check" >&2
		echo --allow-no-room
	fi
}
