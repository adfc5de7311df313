#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 14. A tagged socket across a reload, in each order of the two data paths
#     (native -> kprobe, kprobe -> native, native -> native, kprobe ->
#     kprobe): the socket is tagged, the module reloaded, the socket tagged
#     again and connected: its handshake ACK and its data carry the TOA,
#     which the receiver in be turns into getpeername(). Before the fix, the
#     native path left its header-option flag on the socket and the kprobe
#     path read it as "a BPF program owns the tail": no TOA at all.
#     Then a tagged socket that listens, or disconnects, holds no tag.
. /tests/lib.sh

topo_up
recv_load
sniff_start cap

n=0
for order in native:kprobe kprobe:native native:native kprobe:kprobe; do
	a=${order%:*} b=${order#*:}
	n=$((n + 1))
	port=$((8200 + n))
	tag=203.0.113.5$n:500$n
	log "$a -> $b"
	toa_load datapath=$a
	server_start r$n --listen $BE4:$port --count 1 --expect 1000 \
		--reply 100
	rm -f go$n
	client_bg c$n --dst $BE4:$port --tag $tag --retag-after go$n \
		--ready c$n.rdy --send 1000 --recv 100 --expect-recv 100
	wait_file c$n.rdy
	toa_unload
	toa_load datapath=$b
	assert_eq "$(toa_datapath)" "$b" "$a -> $b: datapath"
	touch go$n
	client_wait c$n
	server_wait r$n
	assert_eq "$(recv_peer r$n)" "$tag" "$a -> $b: the backend's peer"
	toa_unload
done
sniff_stop cap
n=0
for order in native:kprobe kprobe:native native:native kprobe:kprobe; do
	n=$((n + 1))
	t=$(toa_segs cap "254/8/203\.0\.113\.5$n/500$n ")
	log "$order: $t segments with the TOA"
	assert_ge "$t" 2 "$order: segments with the TOA (handshake ACK, data)"
done

for p in native kprobe; do
	log "$p: tagged, then listen() or disconnect: the tag goes"
	toa_load datapath=$p
	in_lb "$BIN/toa_api" --only-forget >api.out 2>&1 ||
		{ cat api.out; fail "$p: toa_api --only-forget"; }
	grep -E '^(ok|not ok)' api.out | sed "s/^/# $p: /"
	toa_unload
done
recv_unload
check_module_warnings
pass
