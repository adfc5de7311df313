#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 21. The receiver against what senders do differently:
#       A inject=always (TOA on every segment): the same answer
#       B the handshake ACK never makes the child: the listener defers
#         accept (TCP_DEFER_ACCEPT drops the bare ACK exactly as a lost ACK
#         is lost), the client's first data segment makes it
#       C kinds: a sender on kind 200 (the Tencent form) is unseen by a
#         receiver on 254 (counted as no_toa), seen with kinds=200, and with
#         kinds=254,200 both are
#       D a TOA that sdp_toa did not write: a BPF sock_ops program on lb
#         (toa_bpfopt --toa) puts kind 254, 8 bytes on every segment
#       F the handshake ACK has no TOA (the proxy tags after connect()):
#         the client's first data segment gives it; and when the backend
#         answers first and the TOA comes only after that, none is taken
#       E parameters: bad values refused at load and at run time (EINVAL),
#         the values in use stay
. /tests/lib.sh

topo_up
toa_load
recv_load

# conn NAME LISTEN DST TAG [server args]: one tagged connection
conn() {
	# names of their own: server_start and client set _n and others
	_cn=$1 _cl=$2 _cd=$3 _ct=$4
	shift 4
	server_start "$_cn" --listen "$_cl" --count 1 --expect 1000 \
		--reply 100 "$@"
	client "c$_cn" --dst "$_cd" ${_ct:+--tag "$_ct"} --send 1000 \
		--recv 100 --expect-recv 100
	server_wait "$_cn"
}
lb_port() { grep -o 'local=[^ ]*' "c$1.out" | head -1 | sed 's/.*://'; }

log "A: inject=always"
toa_param_set inject always || fail "inject=always"
conn a4 $BE4:8101 $BE4:8101 203.0.113.20:5000
assert_eq "$(recv_peer a4)" 203.0.113.20:5000 "A: IPv4"
conn a6 "[$BE6]:8102" "[$BE6]:8102" "[2001:db8:c::20]:5001"
assert_eq "$(recv_peer a6)" "[2001:db8:c::20]:5001" "A: IPv6"
toa_param_set inject handshake || fail "inject=handshake"

log "B: the handshake ACK does not make the child (deferred accept)"
sniff_start capb
conn b4 $BE4:8103 $BE4:8103 203.0.113.21:5002 --defer-accept 5
conn b6 "[$BE6]:8104" "[$BE6]:8104" "[2001:db8:c::21]:5003" --defer-accept 5
sniff_stop capb
assert_eq "$(recv_peer b4)" 203.0.113.21:5002 "B: IPv4 (child made by the data segment)"
assert_eq "$(recv_peer b6)" "[2001:db8:c::21]:5003" "B: IPv6 (child made by the data segment)"
# the first data segment carried the TOA too (the handshake rule)
assert_gt "$(toa_segs capb '254/8/203\.0\.113\.21/5002 ')" 1 "B: TOA on the ACK and data"

log "C: kinds"
toa_param_set kind 200 || fail "sender kind=200"
toa_param_set kind6 200 || fail "sender kind6=200"
v0=$(recv_stat toa_v4)
n0=$(recv_stat no_toa)
conn c1 $BE4:8105 $BE4:8105 203.0.113.22:5004
assert_eq "$(recv_peer c1)" "$LB4:$(lb_port c1)" "C: kind 200 unseen by kinds=254"
assert_eq "$(recv_stat toa_v4)" "$v0" "C: toa_v4 unchanged"
assert_gt "$(recv_stat no_toa)" "$n0" "C: counted as no_toa"
recv_param_set kinds 200 || fail "kinds=200"
assert_eq "$(cat $RPARAMS/kinds)" 200 "kinds reads back"
conn c2 $BE4:8106 $BE4:8106 203.0.113.23:5005
assert_eq "$(recv_peer c2)" 203.0.113.23:5005 "C: kinds=200, IPv4"
conn c3 "[$BE6]:8107" "[$BE6]:8107" "[2001:db8:c::23]:5006"
assert_eq "$(recv_peer c3)" "[2001:db8:c::23]:5006" "C: kinds=200, IPv6"
recv_param_set kinds "254,200" || fail "kinds=254,200"
assert_eq "$(cat $RPARAMS/kinds)" "200,254" "kinds=254,200 reads back"
conn c4 $BE4:8108 $BE4:8108 203.0.113.24:5007
toa_param_set kind 254 || fail "sender kind=254"
toa_param_set kind6 254 || fail "sender kind6=254"
conn c5 $BE4:8109 $BE4:8109 203.0.113.25:5008
assert_eq "$(recv_peer c4)" 203.0.113.24:5007 "C: kinds=254,200 takes 200"
assert_eq "$(recv_peer c5)" 203.0.113.25:5008 "C: kinds=254,200 takes 254"
recv_param_set kinds 254 || fail "kinds=254"

log "D: a TOA from a BPF sock_ops program, not from sdp_toa"
toa_unload
CG=/sys/fs/cgroup
grep -q "^[^ ]* $CG cgroup2 " /proc/mounts ||
	mount -t cgroup2 none $CG || fail "mounting cgroup2 on $CG"
"$BIN/toa_bpfopt" --cgroup $CG --ready bpf.rdy --toa 203.0.113.30:5009 \
	>bpf.out 2>&1 &
echo $! >bpf.pid
bg_track $!
wait_file bpf.rdy
conn d1 $BE4:8110 $BE4:8110 ""
kill -TERM "$(cat bpf.pid)"
wait "$(cat bpf.pid)" || fail "toa_bpfopt: $(cat bpf.out)"
assert_eq "$(recv_peer d1)" 203.0.113.30:5009 "D: TOA written by a BPF program"

log "F: TOA only on the client's data segments (tagged after connect)"
toa_load
l0=$(recv_stat toa_from_data)
w0=$(recv_stat toa_waiting)
sniff_start capf
for v in 4 6; do
	if [ $v = 4 ]; then dst=$BE4:811$v; tag=203.0.113.31:5010
	else dst="[$BE6]:811$v"; tag="[2001:db8:c::31]:5011"; fi
	server_start f$v --listen "$dst" --count 1 --expect 1000 --reply 100 \
		--late-peer
	client cf$v --dst "$dst" --tag "$tag" --tag-after-connect --send 1000 \
		--recv 100 --expect-recv 100
	server_wait f$v
done
sniff_stop capf
assert_grep ' lpeer=203\.0\.113\.31:5010( |$)' f4.out "F: IPv4 client from a data segment"
assert_grep ' lpeer=\[2001:db8:c::31\]:5011( |$)' f6.out "F: IPv6 client from a data segment"
assert_eq "$(recv_stat toa_from_data)" $((l0 + 2)) "F: toa_from_data"
assert_eq "$(recv_stat toa_waiting)" $((w0 + 2)) "F: toa_waiting"
# what the client sent first after its SYN: the handshake ACK, without TOA
# (else this proves nothing), then data with it
first_toa() {	# PORT WHAT (ack: first bare ACK, data: first data)
	awk -v p="dport=$1" -v w="$2" '
	$5 == p && $6 != "flags=S" {
		d = ($10 != "paylen=0")
		if ((w == "data") == d) { sub("toa=", "", $15); print $15; exit }
	}' capf.txt
}
for v in 4 6; do
	# toa=- (no options) or toa=none (options, no TOA)
	case $(first_toa 811$v ack) in
	-|none) ;;
	*) fail "F: TOA on the IPv$v handshake ACK: $(first_toa 811$v ack)" ;;
	esac
	case $(first_toa 811$v data) in
	-|none|"") fail "F: no TOA on the IPv$v client's first data segment" ;;
	esac
done
log "F: the backend answers first, the TOA comes after (inject=always)"
toa_param_set inject always || fail "inject=always"
e0=$(recv_stat toa_wait_ended)
server_start f9 --listen $BE4:8119 --count 1 --expect 1000 --reply 100 \
	--reply-after 0 --late-peer
client cf9 --dst $BE4:8119 --tag 203.0.113.32:5012 --tag-after-connect \
	--send 0 --recv 100 --send2 1000 --expect-recv 100
server_wait f9
toa_param_set inject handshake || fail "inject=handshake"
assert_grep " lpeer=$LB4:" f9.out "F: no TOA taken after the backend's first byte"
assert_eq "$(recv_stat toa_wait_ended)" $((e0 + 1)) "F: toa_wait_ended"
toa_unload

recv_wait_live_zero

log "E: parameters"
for bad in "trusted=192.0.2.0/33" "trusted=not-an-address" "trusted=192.0.2.0/24,," \
	   "kinds=2" "kinds=300" "kinds=" "kinds=254,x"; do
	recv_param_set "${bad%%=*}" "${bad#*=}" 2>/dev/null &&
		fail "writing $bad succeeded"
done
assert_eq "$(cat $RPARAMS/trusted)" "$RTRUST" "trusted unchanged by bad writes"
assert_eq "$(cat $RPARAMS/kinds)" 254 "kinds unchanged by bad writes"
recv_unload
recv_load_fails trusted=10.0.0.0/8,2001:db8::/129
recv_load_fails kinds=19
insmod "$RKO" 2>/dev/null || fail "insmod without parameters"
dmesg_new | grep -q 'sdp_toa_recv: no trusted senders' ||
	fail "no warning for trusted=none at load"
assert_eq "$(cat $RPARAMS/trusted)" none "default trusted"
recv_unload
pass
