#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 1. Load and unload: parameters in sysfs, all counters at 0, a load line in
#    dmesg; refused parameters at insmod and at runtime leave things as they
#    were.
. /tests/lib.sh

# refused at insmod: nothing stays loaded
for bad in kind=5 kind=256 kind=abc kind=-1 kind=19 kind6=0 kind6=34 \
	   inject=bogus inject= allowed_gid=-2 allowed_gid=x datapath=bogus \
	   datapath= return_hook=bogus return_hook=; do
	toa_load_fails "$bad"
done

toa_load
for p in kind kind6 inject allowed_gid; do
	[ -r "$PARAMS/$p" ] || fail "no parameter $p in $PARAMS"
done
assert_eq "$(toa_param kind)" 254 "default kind"
assert_eq "$(toa_param kind6)" 254 "default kind6"
assert_eq "$(toa_param inject)" handshake "default inject"
assert_eq "$(toa_param allowed_gid)" -1 "default allowed_gid"
log "data path: $(toa_datapath)"
case $(toa_datapath) in native|kprobe) ;; *) fail "datapath reads $(toa_datapath)" ;; esac
echo kprobe >"$PARAMS/datapath" 2>/dev/null && fail "datapath is writable after load"
assert_eq "$(toa_stat datapath)" "$(toa_datapath)" "datapath line of $STATS"
toa_stats_dump
for c in sockets_tagged sockets_cleared sockets_live pkts_v4 pkts_v6 \
	 pkts_no_room pkts_prog_denied pkts_prog_after denied invalid; do
	assert_eq "$(toa_stat $c)" 0 "counter $c after load"
done
extra=$(awk '$1 !~ /^(sockets_tagged|sockets_cleared|sockets_live|pkts_v4|pkts_v6|pkts_no_room|pkts_prog_denied|pkts_prog_after|denied|invalid)$/' "$STATS")
[ -z "$extra" ] || log "other lines in $STATS: $extra"
dmesg_new | grep -E 'sdp_toa.*load' || fail "no load line in dmesg"

# refused at runtime: the write fails, the value stays
bad_write() {	# PARAM VALUE
	before=$(toa_param "$1")
	if toa_param_set "$1" "$2" 2>/dev/null; then
		fail "writing '$2' to $1 succeeded"
	fi
	assert_eq "$(toa_param "$1")" "$before" "$1 after refused write '$2'"
}
for k in -1 0 1 2 3 4 5 6 7 8 19 28 29 30 34 256 1000 abc "" 25x; do
	bad_write kind "$k"
	bad_write kind6 "$k"
done
for v in bogus HANDSHAKE always2 ""; do bad_write inject "$v"; done
for v in -2 abc ""; do bad_write allowed_gid "$v"; done

# accepted at runtime
good_write() {	# PARAM VALUE [READBACK]
	toa_param_set "$1" "$2" || fail "writing '$2' to $1 failed"
	assert_eq "$(toa_param "$1")" "${3:-$2}" "$1 after writing '$2'"
}
for k in 9 18 20 27 31 33 35 200 253 255 254; do
	good_write kind "$k"
	good_write kind6 "$k"
done
good_write inject always
good_write inject handshake
good_write allowed_gid 4242
good_write allowed_gid -1
# counters are not touched by parameter writes
assert_eq "$(toa_stat invalid)" 0 "invalid after parameter writes"
toa_unload

# all parameters at insmod
toa_load kind=200 kind6=253 inject=always allowed_gid=4242
assert_eq "$(toa_param kind)" 200 "kind=200 at load"
assert_eq "$(toa_param kind6)" 253 "kind6=253 at load"
assert_eq "$(toa_param inject)" always "inject=always at load"
assert_eq "$(toa_param allowed_gid)" 4242 "allowed_gid=4242 at load"
toa_unload
pass
