#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 13. Both data paths on this kernel: datapath=kprobe (the path of kernels
#     without TCP's header-option room) and datapath=native each put the
#     right TOA on the wire for IPv4 and IPv6, in both inject modes, and
#     count what they sent; the parameter reads as the path in use. Where
#     the kernel has no such room, datapath=native refuses to load. The
#     kprobe path runs with each return hook this kernel allows: the ftrace
#     wrapper (expected on x86_64 unless the kernel has IBT or kCFI, whose
#     ibt_selftest or __cfi_ symbols say so) and the kretprobe; where no
#     wrapper can be had, return_hook=wrapper refuses to load. The wrapper
#     beside a kprobe event on the same function, in both orders: both
#     work (the event counts its hits, TOA goes out), or the second one in
#     is refused and return_hook=auto takes the kretprobe.
. /tests/lib.sh
T=/sys/kernel/tracing

# run PATH INJECT [RETURN_HOOK]: one IPv4 and one IPv6 tagged connection
run() {
	if [ "$1" = kprobe ] && [ "$3" = auto ]; then
		toa_load datapath=$1 inject=$2 return_hook=auto
		log "return_hook=auto took $(toa_return_hook)"
	elif [ "$1" = kprobe ]; then
		toa_load datapath=$1 inject=$2 return_hook=$3
		assert_eq "$(toa_return_hook)" "$3" "return_hook"
	else
		toa_load datapath=$1 inject=$2
		assert_eq "$(toa_return_hook)" none "return_hook (native)"
	fi
	assert_eq "$(toa_datapath)" "$1" "datapath"
	assert_eq "$(toa_stat return_hook)" "$(toa_return_hook)" \
		"return_hook in $STATS"
	v4=$(toa_stat pkts_v4)
	v6=$(toa_stat pkts_v6)
	server_start s4 --listen $BE4:8080 --count 1 --expect 21000 --reply 2000
	server_start s6 --listen "[$BE6]:8086" --count 1 --expect 21000 --reply 2000
	sniff_start $1$2
	X="--send 1000 --recv 2000 --send2 20000 --expect-recv 2000"
	client c4 --dst $BE4:8080 --tag 203.0.113.7:4000 $X
	client c6 --dst "[$BE6]:8086" --tag "[2001:db8:c::7]:4006" $X
	server_wait s4
	server_wait s6
	sniff_stop $1$2
	C="--mode $2 --kind 254 --flows 1 --mtu 1500 --min-with 2 --min-without 1"
	[ "$2" = always ] && C="--mode always --kind 254 --flows 1 --mtu 1500 --min-with 5"
	check $1$2 $C --server-port 8080 --len 8 --addr 203.0.113.7 --port 4000
	check $1$2 $C --server-port 8086 --len 20 --addr 2001:db8:c::7 --port 4006
	assert_eq "$(( $(toa_stat pkts_v4) - v4 ))" \
		"$(toa_segs $1$2 '254/8/203\.0\.113\.7/4000 ')" "$1 $2: pkts_v4"
	assert_eq "$(( $(toa_stat pkts_v6) - v6 ))" \
		"$(toa_segs $1$2 '254/20/2001:db8:c::7/4006 ')" "$1 $2: pkts_v6"
	log "$1 $2 ${3:-}: $(toa_segs $1$2 '254/') segments with TOA, hook_missed $(toa_stat hook_missed)"
	wait_live_zero
	toa_unload
}

topo_up
toa_load datapath=kprobe return_hook=auto
hooks=$(toa_return_hook)
toa_unload
if [ "$(uname -m)" = x86_64 ]; then
	expect=wrapper
	grep -qE ' (ibt_selftest|__cfi_[a-z_0-9]+)$' /proc/kallsyms &&
		expect=kretprobe
	assert_eq "$hooks" "$expect" "return_hook=auto on x86_64"
fi
log "return_hook=auto on this kernel: $hooks"
if [ "$hooks" = wrapper ]; then
	hooks="wrapper kretprobe"
else
	toa_load_fails datapath=kprobe return_hook=wrapper
fi
toa_load_fails return_hook=none
if [ -e /sys/kernel/tracing/available_filter_functions ] &&
   grep -q '^__cgroup_bpf_run_filter_sock_ops$' /sys/kernel/tracing/available_filter_functions; then
	native=1
fi
for inj in handshake always; do
	for h in $hooks; do
		run kprobe $inj $h
	done
	if [ "$native" ]; then
		run native $inj
	fi
done

# a kprobe event on tcp_established_options (no post handler)
kev_on() {
	echo 'p:sdp13/teo tcp_established_options' >>$T/kprobe_events &&
		echo 1 >$T/events/sdp13/teo/enable
}
kev_hits() { awk '$1 == "sdp13/teo" || $1 == "teo" { print $2 }' $T/kprobe_profile; }
kev_off() {
	echo 0 >$T/events/sdp13/teo/enable
	echo '-:sdp13/teo' >>$T/kprobe_events || fail "removing the kprobe event"
}
if [ "${hooks% *}" = wrapper ] && [ -e $T/kprobe_events ]; then
	# event first, then the module
	kev_on || fail "kprobe event on tcp_established_options"
	h0=$(kev_hits)
	run kprobe handshake auto
	assert_gt "$(kev_hits)" "$h0" "kprobe event hits with the module loaded after it"
	kev_off
	# module first, then the event
	toa_load datapath=kprobe return_hook=wrapper
	if kev_on 2>kev.err; then
		h0=$(kev_hits)
		server_start s4 --listen $BE4:8080 --count 1 --expect 1000 --reply 100
		sniff_start kev
		client c4 --dst $BE4:8080 --tag 203.0.113.9:4009 --send 1000 --recv 100 --expect-recv 100
		server_wait s4
		sniff_stop kev
		check kev --mode handshake --kind 254 --flows 1 --mtu 1500 --min-with 2 \
			--server-port 8080 --len 8 --addr 203.0.113.9 --port 4009
		assert_gt "$(kev_hits)" "$h0" "kprobe event hits beside the wrapper"
		kev_off
	else
		log "kprobe event refused beside the wrapper: $(cat kev.err)"
	fi
	wait_live_zero
	toa_unload
fi
if [ -z "$native" ]; then
	toa_load_fails datapath=native
	toa_load
	assert_eq "$(toa_datapath)" kprobe "datapath=auto without the room"
	toa_unload
fi
pass
