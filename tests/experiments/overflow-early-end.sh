#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# overflow-early-end: does TOA have any part in backend connections that
# end before their request is complete under an overflowing accept queue?
# (docs/DESIGN.md, "Open: connections that ended early under accept-queue
# overflow"; issue 26 item 9). Not a test: scripts/experiment-overflow.sh
# boots it as the guest's only script and prints what it measured.
#
# One boot. Per round, every cell (arm x tcp_syncookies) once, in an order
# rotated each round. Arms:
#   absent   no module
#   tag      sdp_toa loaded, every upstream socket tagged (TOA on the wire)
#   untag    sdp_toa loaded, nothing tagged (hooks run, no option)
#   dummy    no module; a sock_ops program (toa_bpfopt) puts an 8-byte
#            option of kind 253 on every segment: the bytes without the
#            module
#   recv     as tag, with sdp_toa_recv on the backend trusting the LB
# Per cell: two loaders (IPv4, IPv6; EXP_THREADS threads each, EXP_COUNT
# connections per thread, 2,000 bytes each way) against one sink whose
# accept queue overflows (backlog 16, 2 ms pause after each accept). The
# loaders keep going past failures and report each (toa_stress
# --keep-going), the sink reports each connection that ended before its
# 2,000 bytes (--events), tcp:tcp_send_reset / tcp:tcp_receive_reset say
# who reset whom, and nstat-style counters of both namespaces are diffed.
# One more connection per cell, captured, proves what the arm puts on the
# wire (TOA for tag and recv, the dummy option for dummy, neither else).
# Output lines start with "@@EXP ".
. /tests/lib.sh

: "${EXP_ROUNDS:=6}" "${EXP_THREADS:=50}" "${EXP_COUNT:=100}"
: "${EXP_ARMS:=absent tag untag dummy recv}" "${EXP_COOKIES:=1 0}"
: "${EXP_DETAIL:=20}"
TR=/sys/kernel/tracing
CG=/sys/fs/cgroup
out() { echo "@@EXP $*"; }

# ---- counters: TcpExt and Tcp of one namespace, as "name value" lines
COUNTERS="TcpExtListenOverflows TcpExtListenDrops TcpExtSyncookiesSent
TcpExtSyncookiesRecv TcpExtSyncookiesFailed TcpExtTCPReqQFullDrop
TcpExtTCPReqQFullDoCookies TcpExtEmbryonicRsts TcpExtTCPAbortOnData
TcpExtTCPAbortOnClose TcpExtTCPAbortOnTimeout TcpExtTCPTimeouts
TcpExtTCPSynRetrans TcpEstabResets TcpOutRsts TcpAttemptFails
TcpRetransSegs TcpExtTCPOFOQueue TcpExtTCPACKSkippedSynRecv"
snap() {	# NS FILE
	"$IP" netns exec "$1" cat /proc/net/netstat /proc/net/snmp |
		awk '$1 ~ /:$/ { p = substr($1, 1, length($1) - 1)
			if (!(p in h)) { for (i = 2; i <= NF; i++) n[p, i] = $i; h[p] = NF }
			else for (i = 2; i <= NF; i++) print p n[p, i], $i }' >"$2"
}
delta() {	# NS BEFORE AFTER -> "ns.name=delta ..." for COUNTERS
	awk -v ns="$1" -v want="$(echo $COUNTERS)" '
		BEGIN { k = split(want, w, " ") }
		FNR == NR { b[$1] = $2; next } { a[$1] = $2 }
		END { for (i = 1; i <= k; i++) if (w[i] in a)
			printf "%s.%s=%d ", ns, w[i], a[w[i]] - b[w[i]] }' "$2" "$3"
}

# ---- arms
mod_off() {
	[ -d /sys/module/sdp_toa_recv ] && recv_unload
	[ -d /sys/module/sdp_toa ] && toa_unload
	return 0
}
dummy_on() {
	grep -q "^[^ ]* $CG cgroup2 " /proc/mounts ||
		mount -t cgroup2 none $CG || fail "mount cgroup2"
	rm -f bpf.rdy
	"$BIN/toa_bpfopt" --cgroup $CG --ready bpf.rdy >bpf.out 2>&1 &
	_bpf=$!
	bg_track $_bpf
	wait_file bpf.rdy
}
dummy_off() {
	kill -TERM "$_bpf"
	wait "$_bpf" || fail "toa_bpfopt: $(cat bpf.out)"
}
arm_on() {	# ARM
	mod_off
	case $1 in
	absent|dummy) ;;
	tag|untag) toa_load ;;
	recv) toa_load; recv_load ;;
	*) fail "unknown arm $1" ;;
	esac
	[ "$1" = dummy ] && dummy_on
	return 0
}
arm_off() { [ "$1" = dummy ] && dummy_off; return 0; }

# trace lines -> "EVENT:SPORT>DPORT:STATE" (no state: "-", receive_reset)
rst_short() {
	awk '{ ev = ""; st = "-"
	       for (i = 1; i <= NF; i++)
		if ($i ~ /^tcp_[a-z_]*:$/) ev = substr($i, 1, length($i) - 1)
		else if ($i ~ /^sport=/) sp = substr($i, 7)
		else if ($i ~ /^dport=/) dp = substr($i, 7)
		else if ($i ~ /^state=/) st = substr($i, 7)
	       if (ev != "") print ev ":" sp ">" dp ":" st }'
}

# ---- one cell
lsum() {	# KEY: KEY=N summed over the two loaders' last lines
	grep -h '^load:' l4.out l6.out | grep -o " $1=[0-9]*" | cut -d= -f2 |
		awk '{ s += $1 } END { print s + 0 }'
}
resets_of() {	# PORT: the cell's resets of that port, on one line
	grep -E "(:$1>|>$1:)" crst.txt | tr '\n' ' '
}
cell() {	# ARM COOKIES ROUND
	_a=$1 _c=$2 _r=$3
	arm_on "$_a"
	ns_sysctl be net.ipv4.tcp_syncookies "$_c"
	_tag4= _tag6=
	case $_a in tag|recv)
		_tag4="--tag 203.0.113.51:4000"
		_tag6="--tag [2001:db8:c::51]:4000" ;;
	esac
	sink_start sink --listen "[::]:9002" --reply 2000 --expect 2000 \
		--backlog 16 --accept-pause 2000 --events --allow-reset
	snap lb lb0.txt
	snap be be0.txt
	echo "cell $_a $_c $_r" >$TR/trace_marker
	_t0=$(cut -d' ' -f1 /proc/uptime)
	L="--send 2000 --reply 2000 --threads $EXP_THREADS --count $EXP_COUNT"
	L="$L --syn-retries 6 --syn-lost-ok --keep-going --timeout 3000"
	load_bg l4 --dst $BE4:9002 $_tag4 $L
	load_bg l6 --dst "[$BE6]:9002" $_tag6 $L
	load_wait l4
	load_wait l6
	# what this arm puts on the wire: one more connection, captured
	sniff_start probe
	load_bg probe --dst $BE4:9002 $_tag4 --send 2000 --reply 2000 --count 1
	load_wait probe
	sniff_stop probe
	_pt=$(count ' toa=254/8/203\.0\.113\.51/4000 ' probe.txt)
	_pd=$(count ' unknown=253/8:' probe.txt)
	case $_a in
	tag|recv) [ "$_pt" -gt 0 ] && [ "$_pd" = 0 ] ;;
	dummy) [ "$_pt" = 0 ] && [ "$_pd" -gt 0 ] ;;
	*) [ "$_pt" = 0 ] && [ "$_pd" = 0 ] ;;
	esac || fail "arm $_a: probe connection had $_pt segments with TOA, $_pd with the dummy option"
	sleep 2
	# (exits 1 when it saw bad connections: they are what is measured)
	kill -TERM "$(cat sink.pid)"
	wait "$(cat sink.pid)"
	_t1=$(cut -d' ' -f1 /proc/uptime)
	echo "endcell $_a $_c $_r" >$TR/trace_marker
	sleep 1	# (for cat to have written it)
	sed -n "/cell $_a $_c $_r\$/,/endcell $_a $_c $_r\$/p" trace.txt |
		rst_short >crst.txt
	snap lb lb1.txt
	snap be be1.txt
	arm_off "$_a"
	# counters of the module, where loaded
	_pk=
	[ -e "$STATS" ] && _pk="pkts_v4=$(toa_stat pkts_v4) pkts_v6=$(toa_stat pkts_v6) no_room=$(toa_stat pkts_no_room)"
	[ -e "$RSTATS" ] && _pk="$_pk recv_toa=$(awk '$1 ~ /^toa_v[46]$/ { s += $2 } END { print s + 0 }' "$RSTATS") recv_rewritten=$(awk '$1 == "peername_rewritten" { print $2 }' "$RSTATS")"
	cev=$(cat l4.out l6.out | grep -c '^ev side=client')
	sev=$(grep '^ev side=server' sink.out | grep -vc ' how=open')
	sopen=$(grep -c '^ev side=server.* how=open' sink.out)
	out "cell arm=$_a cookies=$_c round=$_r secs=$(echo "$_t0 $_t1" | awk '{ printf "%d", $2 - $1 }')" \
		"conns=$(lsum conns) failed=$(lsum failed) synlost=$(lsum synlost)" \
		"sink_conns=$(sink_conns sink)" \
		"client_events=$cev server_events=$sev server_open=$sopen probe_toa=$_pt probe_dummy=$_pd $_pk" \
		"$(delta lb lb0.txt lb1.txt)$(delta be be0.txt be1.txt)"
	# the kinds of events, counted
	cat l4.out l6.out sink.out | grep '^ev ' |
		sed 's/ lport=[0-9]*//; s/ peer=[^ ]*//; s/ got=[0-9]*//; s/ sent=[0-9]*//' |
		sort | uniq -c | while read -r n e; do
			out "kind arm=$_a cookies=$_c round=$_r n=$n $e"
		done
	# the first EXP_DETAIL server events, each with what the client saw
	# and the resets of its port (joined on the client's port)
	grep '^ev side=server' sink.out | head -n "$EXP_DETAIL" | while read -r l; do
		p=$(echo "$l" | sed -n 's/.* peer=.*:\([0-9]*\) .*/\1/p')
		c=$(grep -h "^ev side=client lport=$p " l4.out l6.out | head -n 1)
		out "detail arm=$_a cookies=$_c round=$_r server: ${l#ev side=server } | client: ${c#ev side=client } | resets: $(resets_of "$p")"
	done
	# the first 5 client events, with the resets of their port
	grep -h '^ev side=client' l4.out l6.out | head -n 5 | while read -r l; do
		p=$(echo "$l" | sed -n 's/.* lport=\([0-9]*\) .*/\1/p')
		out "cdetail arm=$_a cookies=$_c round=$_r client: ${l#ev side=client } | resets: $(resets_of "$p")"
	done
	# resets of the cell, by who sent them and the sender's state
	tr ':>' '  ' <crst.txt |
		awk '{ side = ($2 == 9002) ? "server" : "client"
		       k = $1 ($1 == "tcp_send_reset" ? " by=" : " at=") side " state=" $4 (($1 == "tcp_send_reset" && $3 == 0) ? " listener" : "")
		       n[k]++ } END { for (k in n) print n[k], k }' |
		while read -r n e; do
			out "reset arm=$_a cookies=$_c round=$_r n=$n $e"
		done
}

# ---- setup
topo_up
ns_sysctl lb net.ipv4.ip_local_port_range "10000 65000"
ns_sysctl lb net.ipv4.tcp_tw_reuse 1
echo 0 >$TR/tracing_on
echo 16384 >$TR/buffer_size_kb
echo >$TR/trace
echo 1 >$TR/events/tcp/tcp_send_reset/enable &&
echo 1 >$TR/events/tcp/tcp_receive_reset/enable || fail "no tcp reset trace events"
echo 1 >$TR/tracing_on
cat $TR/trace_pipe >trace.txt &
bg_track $!
out "info kernel=$(uname -r) rounds=$EXP_ROUNDS threads=$EXP_THREADS count=$EXP_COUNT arms=$(echo $EXP_ARMS | tr ' ' ,) cookies=$(echo $EXP_COOKIES | tr ' ' ,)"
r=1
while [ $r -le "$EXP_ROUNDS" ]; do
	# rotate the arms' order each round
	set -- $EXP_ARMS
	i=1
	while [ $i -lt $r ]; do _f=$1; shift; set -- "$@" "$_f"; i=$((i + 1)); done
	for a in "$@"; do
		for c in $EXP_COOKIES; do
			cell "$a" "$c" "$r"
		done
	done
	r=$((r + 1))
done
mod_off
check_dmesg
out "done"
pass
