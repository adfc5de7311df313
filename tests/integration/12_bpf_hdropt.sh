#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 12. Beside a BPF sock_ops program that writes its own header option
#     (toa_bpfopt: kind 253, 8 bytes, on every segment of every connecting
#     socket) on the native path: the same segments carry both options, TOA
#     first, each intact, in both load orders, IPv4 and IPv6. Detaching the
#     program leaves TOA alone; unloading sdp_toa leaves the program
#     working; with both gone TCP calls no sock_ops code any more (the
#     static key is back off: the module's reference was balanced).
#     The counters say what went out beside the program: pkts_prog_after
#     counts TOA written where the program ran after it; a program that
#     returns 0 at HDR_OPT_LEN_CB (TCP drops the reservation) is counted
#     in pkts_prog_denied, and one that returns 0 at WRITE_HDR_OPT_CB
#     (TCP NOP-fills the room) leaves pkts_v4 - pkts_prog_after on the wire.
. /tests/lib.sh

CG=/sys/fs/cgroup
T=/sys/kernel/tracing
OPT='253/8:534450425046'
grep -q "^[^ ]* $CG cgroup2 " /proc/mounts ||
	mount -t cgroup2 none $CG || fail "mounting cgroup2 on $CG"

bpf_on() {	# [toa_bpfopt options]
	rm -f bpf.rdy
	"$BIN/toa_bpfopt" --cgroup $CG --ready bpf.rdy "$@" >bpf.out 2>&1 &
	echo $! >bpf.pid
	bg_track $!
	wait_file bpf.rdy
}
bpf_off() {
	kill -TERM "$(cat bpf.pid)"
	wait "$(cat bpf.pid)" || fail "toa_bpfopt: $(cat bpf.out)"
	grep -q '^bpfopt: detached' bpf.out || fail "toa_bpfopt did not detach"
}

# conn NAME 4|6 TOA(yes|no) BPF(yes|no): one tagged connection, checked
conn() {
	if [ "$2" = 6 ]; then dst="[$BE6]:8080" addr=2001:db8:c::7 len=20 src=$LB6
		tag="[$addr]:4000"
	else dst=$BE4:8080 addr=203.0.113.7 len=8 src=$LB4 tag=$addr:4000; fi
	server_start s$1 --listen "$dst" --count 1 --expect 301000 --reply 2000
	stats_before
	sniff_start $1
	may=
	[ "$3" = no ] && may="--tag-may-fail ENOPROTOOPT"
	client c$1 --dst "$dst" --tag "$tag" $may --send 1000 --recv 2000 \
		--send2 300000 --expect-recv 2000
	server_wait s$1
	sniff_stop $1
	segs=$(count "src=$src " $1.txt)
	with=$(count "src=$src .* unknown=$OPT " $1.txt)
	assert_gt "$segs" 5 "$1: client segments"
	if [ "$4" = yes ]; then
		assert_eq "$with" "$segs" "$1: client segments with the program's option"
	else
		assert_eq "$with" 0 "$1: client segments with the program's option"
	fi
	assert_eq "$(count ' unknown=' $1.txt)" \
		"$(count " unknown=(-|$OPT) " $1.txt)" "$1: no other unknown option"
	if [ "$3" = yes ]; then
		check $1 --mode handshake --addr $addr --port 4000 --len $len \
			--kind 254 --flows 1 --mtu 1500 --min-with 2 \
			--min-without 3 --allow-unknown
		n=$(count " toa=254/$len/" $1.txt)
		[ "$4" = yes ] && assert_eq \
			"$(count "opts=[^ ]*254/$len,253/8 .* unknown=$OPT " $1.txt)" \
			"$n" "$1: segments with TOA, then the program's option"
		assert_eq "$(stat_delta pkts_v4 pkts_v6)" "$n" "$1: pkts_v4 + pkts_v6"
		after=0
		[ "$4" = yes ] && after=$n
		assert_eq "$(stat_delta pkts_prog_after)" "$after" "$1: pkts_prog_after"
		assert_eq "$(stat_delta pkts_prog_denied)" 0 "$1: pkts_prog_denied"
	else
		assert_eq "$(count ' toa=254/' $1.txt)" 0 "$1: segments with TOA"
	fi
	log "$1: $segs client segments, $with with the program's option, $(count ' toa=254/' $1.txt) with TOA"
}

stats_before() {
	_s0=$(cat "$STATS" 2>/dev/null)
}
stat_delta() {	# COUNTER...: their sum's growth since stats_before
	_d=0
	for _c in "$@"; do
		_b=$(echo "$_s0" | sed -n "s/^$_c //p")
		[ -n "$_b" ] || fail "no counter $_c in $STATS"
		_d=$((_d + $(toa_stat $_c) - _b))
	done
	echo $_d
}

# conn_deny NAME len|write: the program returns 0 at that op; the wire
# has neither option, and the counters say why
conn_deny() {
	server_start s$1 --listen $BE4:8080 --count 1 --expect 301000 --reply 2000
	stats_before
	sniff_start $1
	client c$1 --dst $BE4:8080 --tag 203.0.113.7:4000 --send 1000 \
		--recv 2000 --send2 300000 --expect-recv 2000
	server_wait s$1
	sniff_stop $1
	segs=$(count "src=$LB4 " $1.txt)
	assert_gt "$segs" 5 "$1: client segments"
	assert_eq "$(count ' toa=254/' $1.txt)" 0 "$1: segments with TOA"
	assert_eq "$(count " unknown=$OPT " $1.txt)" 0 "$1: segments with the program's option"
	sent=$(stat_delta pkts_v4 pkts_v6)
	after=$(stat_delta pkts_prog_after)
	denied=$(stat_delta pkts_prog_denied)
	log "$1: $segs client segments; pkts_v4 +$sent, pkts_prog_after +$after, pkts_prog_denied +$denied"
	if [ "$2" = len ]; then
		assert_eq "$sent" 0 "$1: pkts_v4 (nothing was written)"
		# the handshake ACK and the request's first segment, at least
		assert_ge "$denied" 2 "$1: pkts_prog_denied"
	else
		assert_ge "$sent" 2 "$1: pkts_v4 (written, then NOP-filled)"
		assert_eq "$after" "$sent" "$1: pkts_prog_after: every TOA written was the program's to keep"
		assert_eq "$denied" 0 "$1: pkts_prog_denied"
	fi
}

# sockops_calls NAME: calls into the sock_ops function during one connection
sockops_calls() {
	mkdir $T/instances/sdp12 || fail "tracefs instance"
	echo __cgroup_bpf_run_filter_sock_ops >$T/instances/sdp12/set_ftrace_filter ||
		fail "set_ftrace_filter"
	echo function >$T/instances/sdp12/current_tracer
	conn "$1" 4 "$2" no >sc.$1.log
	echo 0 >$T/instances/sdp12/tracing_on
	# read before the tracer changes: that empties the buffer
	n=$(grep -vc '^#' $T/instances/sdp12/trace)
	echo nop >$T/instances/sdp12/current_tracer
	rmdir $T/instances/sdp12
	echo "$n"
}

if [ "$_datapath" = kprobe ]; then
	skip "sdptoa.datapath=kprobe: this test is about the native path"
fi
topo_up
log "a) sdp_toa first, then the program"
toa_load
assert_eq "$(toa_datapath)" native "data path"
bpf_on
conn a4 4 yes yes
conn a6 6 yes yes
log "b) the program detached: TOA alone"
bpf_off
conn b4 4 yes no
log "c) the program first, then sdp_toa"
toa_unload
bpf_on
toa_load
assert_eq "$(toa_datapath)" native "c: data path"
conn c4 4 yes yes
conn c6 6 yes yes
log "c2) the program returns 0 at HDR_OPT_LEN_CB, then at WRITE_HDR_OPT_CB"
bpf_off
bpf_on --deny len
conn_deny f4 len
bpf_off
bpf_on --deny write
conn_deny g4 write
bpf_off
bpf_on
log "d) sdp_toa unloaded: the program alone"
toa_unload
conn d4 4 no yes
conn d6 6 no yes
bpf_off
log "e) neither: TCP no longer calls sock_ops code"
toa_load
on=$(sockops_calls e1 yes)
toa_unload
off=$(sockops_calls e2 no)
log "sock_ops calls in one connection: $on with sdp_toa loaded, $off with neither"
assert_gt "$on" 0 "sock_ops calls with sdp_toa loaded (the probe sees them)"
# after the backend's first byte the connection sends 300 kB more: with the
# flag left set, each of those skbs calls sock_ops twice more (length,
# write). Measured on 6.1: 17 calls with the flag cleared, 48 with the
# clearing broken on purpose (toa_native_done() made a no-op)
assert_ge 32 "$on" "sock_ops calls with sdp_toa loaded: the flag is cleared after the backend's first byte"
assert_eq "$off" 0 "sock_ops calls with sdp_toa and the program gone"
toa_load
wait_live_zero
pass
