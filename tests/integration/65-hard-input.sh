#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening 7: bad input. Every bad parameter value, at insmod and written
# at run time (kind/kind6 0, 1, 256, -1, abc, reserved kinds, overflowing
# and oversized numbers, inject=bogus, ...): refused with EINVAL, the value
# and everything else stay as they were (tags of live sockets, counters;
# "invalid" and "denied" count socket option calls, not parameter writes),
# and only root may write at all. The socket option side (every malformed
# SET/GET, every socket kind, lengths 0..130 and beyond, NULL/unmapped
# pointers, every family, listening and ended sockets) is toa_api's table,
# run by 07_api.
. /tests/lib.sh

# 4095 characters: with the newline, a whole page (longer writes are E2BIG)
long=$(head -c 4095 /dev/zero | tr '\0' '9')
longa=$(head -c 4095 /dev/zero | tr '\0' 'a')

log "refused at insmod: nothing stays loaded"
for bad in kind=0 kind=1 kind=0x100 kind=-0 kind=2147483648 kind6=-1 \
	   kind6=29 kind6=300 kind=254x inject=always,handshake inject=1 \
	   allowed_gid=4294967295 allowed_gid=-1x \
	   kind=99999999999999999999999999999999999999999999999999; do
	toa_load_fails "$bad"
done

topo_up
toa_load
snap() {	# everything a refused write must leave alone
	for p in kind kind6 inject allowed_gid; do printf '%s=%s ' $p "$(toa_param $p)"; done
	for c in sockets_tagged sockets_cleared sockets_live pkts_v4 pkts_v6 \
		 pkts_no_room denied invalid; do
		printf '%s=%s ' $c "$(toa_stat $c)"
	done
}
# ten live tagged sockets, whose tags must survive every refused write
rm -f h.rdy h.stop
"$IP" netns exec lb "$BIN/toa_stress" hold --count 10 --tag 203.0.113.40:4000 \
	--ready h.rdy --stop-file h.stop >h.out 2>&1 &
echo $! >h.pid
bg_track $!
wait_file h.rdy
assert_eq "$(toa_stat sockets_live)" 10 "sockets_live with 10 held"

nbad=0
bad_write() {	# PARAM VALUE [ERROR TEXT]: written as echo does, with a newline
	_before=$(snap)
	# dd: one write(), and it names the error
	printf '%s\n' "$2" >bw.val
	if dd if=bw.val of="$PARAMS/$1" bs=8192 count=1 2>bw.err; then
		fail "writing '$(echo "$2" | cut -c1-20)' to $1 succeeded"
	fi
	grep -qE "${3:-Invalid argument}" bw.err ||
		fail "writing '$(echo "$2" | cut -c1-20)' to $1: $(cat bw.err), expected ${3:-EINVAL}"
	assert_eq "$(snap)" "$_before" "state after refused write of '$(echo "$2" | cut -c1-20)' to $1"
	nbad=$((nbad + 1))
}
for p in kind kind6; do
	for k in 0 1 2 3 4 5 6 7 8 19 28 29 30 34 256 257 1000 65535 -1 -0 -254 \
		 2147483647 2147483648 99999999999999999999 abc 254abc 0x 0x1fe \
		 "" " " " 254" "25 4" + - "1.5" "$long" "$longa"; do
		bad_write $p "$k"
	done
done
for v in bogus HANDSHAKE Always always2 alway "" " " " always" "always always" \
	 "always,handshake" 0 1 "$longa"; do
	bad_write inject "$v"
done
for v in -2 -100 abc 2147483648 4294967295 "" "1.5" "0x" "$long"; do
	bad_write allowed_gid "$v"
done
# more than a page in one write(): E2BIG from sysfs, nothing reaches us
printf '%s%s\n' "$long" "$long" >big.txt
for p in kind inject; do
	_before=$(snap)
	dd if=big.txt of="$PARAMS/$p" bs=16384 count=1 2>bw.err &&
		fail "an 8 KB write to $p succeeded"
	grep -qE "Argument list too long|Invalid argument" bw.err || fail "8 KB write to $p: $(cat bw.err)"
	assert_eq "$(snap)" "$_before" "state after an 8 KB write to $p"
	nbad=$((nbad + 1))
done
log "$nbad refused writes"

log "accepted spellings of valid values"
good() {	# PARAM VALUE READBACK
	printf '%s\n' "$2" >"$PARAMS/$1" || fail "writing '$2' to $1 failed"
	assert_eq "$(toa_param "$1")" "$3" "$1 after writing '$2'"
}
good kind 0xc8 200
good kind 0376 254
good kind "+200" 200
good kind 254 254
good kind6 253 253
good kind6 254 254
good inject always always
good inject handshake handshake
good allowed_gid 2147483647 2147483647
good allowed_gid -1 -1

log "only root writes parameters"
for p in kind kind6 inject allowed_gid; do
	if /opt/tools/setpriv --reuid 65534 --regid 65534 --clear-groups \
		sh -c "echo 200 > $PARAMS/$p" 2>/dev/null; then
		fail "nobody could write $p"
	fi
done
assert_eq "$(toa_param kind)" 254 "kind after nobody's write"

assert_eq "$(toa_stat sockets_live)" 10 "sockets_live after all the writes"
assert_eq "$(toa_stat invalid)" 0 "invalid (parameter writes are not socket calls)"
touch h.stop
wait "$(cat h.pid)" || fail "hold"
wait_live_zero
log "figures: input refused_param_writes=$nbad"
log "took $(hard_took)"
pass
