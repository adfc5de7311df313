#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening 6: concurrency. While data flows (inject=always), threads set,
# clear and re-set the tag of the very socket that transmits, and kind /
# kind6 flip between 254/200 and 254/253 every 0.05 s (make check: for 4 s,
# make check-stress: 60 s):
#   r4: IPv4 connection, 4 threads, serialised, clients alternate IPv4 and
#       IPv6 (the option flips between 8 and 20 bytes mid-stream);
#   r6: IPv6 connection, 4 threads, serialised, every 7th op clears;
#   rx: IPv4 connection, 8 threads racing each other unserialised, mixed
#       families, every 5th op clears.
# Generation g is written into both address and port (198.18.g/16 or
# 2001:db8:c:g::g, port g), so a TOA made of two different tags shows.
# Captured on the sender's side (veth-lb: transmit order). No oops; every
# TOA is self-consistent with a kind valid for its length; on serialised
# sockets generations never go back (each segment has the latest tag, never
# an older one); after the threads stop, the final tag is what the last
# segments carry (checked when the capture lost nothing); no segment
# exceeds the MTU when the option grows.
. /tests/lib.sh

topo_up
offloads_off
toa_load inject=always
S=$(hard_scale 2000000 20000000)
DUR=$(hard_scale 4 60)
sink_start sk --listen "[::]:9000" --reply 1000

rm -f cap.rdy
"$IP" netns exec lb "$BIN/toa_sniff" -i veth-lb -o cap.txt --ready cap.rdy \
	--kind 254,200 --kind6 254,253 2>cap.err &
echo $! >cap.sniffpid
bg_track $!
wait_file cap.rdy

R="--send $S --final-send 200000 --expect-recv 1000 --duration $DUR --pause 500 --timeout 900"
for r in "r4 --dst $BE4:9000 --threads 4 --serial --mix" \
	 "r6 --dst [$BE6]:9000 --threads 4 --serial --clear-every 7" \
	 "rx --dst $BE4:9000 --threads 8 --mix --clear-every 5"; do
	set -- $r
	_n=$1
	shift
	"$IP" netns exec lb "$BIN/toa_stress" retag "$@" $R >"$_n.out" 2>&1 &
	echo $! >"$_n.pid"
	bg_track $!
done
# flip the kinds while they run
flips=0
while kill -0 "$(cat r4.pid)" 2>/dev/null || kill -0 "$(cat r6.pid)" 2>/dev/null ||
      kill -0 "$(cat rx.pid)" 2>/dev/null; do
	flips=$((flips + 1))
	if [ $((flips % 2)) = 0 ]; then
		toa_param_set kind 254 && toa_param_set kind6 254
	else
		toa_param_set kind 200 && toa_param_set kind6 253
	fi || fail "kind flip"
	sleep 0.05
done
for r in r4 r6 rx; do
	wait "$(cat $r.pid)" || { cat $r.out; fail "retag $r failed"; }
	cat $r.out
done
sink_stop sk
sent=$(cat r4.out r6.out rx.out | sed -n 's/.* sent=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }')
assert_eq "$(sed -n 's/^sink: .* bytes=\([0-9]*\).*/\1/p' sk.out)" "$sent" "bytes the backend got"
sleep 0.3
kill -TERM "$(cat cap.sniffpid)"
wait "$(cat cap.sniffpid)" || fail "toa_sniff: $(cat cap.err)"
log "capture: $(grep -vc '^#' cap.txt) segments, $(tail -1 cap.txt); $flips kind flips"
cap_sane cap

# Per flow of ours (sport = the retag socket's port): every TOA consistent,
# generations monotonic where serialised, the last data segment final.
flows=""
for r in r4 r6 rx; do
	flows="$flows $(sed -n 's/^retag: local=\([0-9]*\) final=\([0-9]*\).*/\1:\2/p' $r.out):$r"
done
# missed=1: the return hook missed calls, so the very last segments may go
# without TOA (never with an older one)
missed=0
[ "$(toa_stat hook_missed)" = 0 ] || missed=1
# lossy=1: the capture dropped segments (cap_sane logged it), so a flow's
# last segments may be missing from it: the tail checks are skipped (every
# other check still holds for what was captured)
lossy=0
cap_lossless cap || lossy=1
awk -v flows="$flows" -v missed=$missed -v lossy=$lossy '
BEGIN {
	n = split(flows, fl, " ")
	for (i = 1; i <= n; i++) {
		split(fl[i], p, ":")
		final[p[1]] = p[2]; name[p[1]] = p[3]
		serial[p[1]] = p[3] != "rx"
	}
	ok8["254"] = ok8["200"] = 1; ok20["254"] = ok20["253"] = 1
}
function hex2dec(h,   i, c, v) {
	v = 0; h = tolower(h)
	for (i = 1; i <= length(h); i++) {
		c = index("0123456789abcdef", substr(h, i, 1)) - 1
		if (c < 0) return -1
		v = v * 16 + c
	}
	return v
}
function bad(msg) { nbad++; if (nbad <= 20) print "BAD line " NR ": " msg ": " $0 }
function gen_of(len, addr, port,   q, f, g1, g2, nf) {
	if (addr ~ /^(::ffff:)?198\.18\.[0-9]+\.[0-9]+$/) {
		sub(/^::ffff:/, "", addr)
		split(addr, q, ".")
		g1 = q[3] * 256 + q[4]
		if (len == 8 || len == 20) return g1 == port ? g1 : -1
	}
	if (len == 20 && addr ~ /^2001:db8:c:[0-9a-f]+::[0-9a-f]+$/) {
		nf = split(addr, f, ":")
		g1 = hex2dec(f[4]); g2 = hex2dec(f[nf])
		return g1 == g2 && g1 == port ? g1 : -1
	}
	return -1
}
$1 == "dir=out" {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	sp = v["sport"]
	if (!(sp in final)) next
	segs[sp]++
	if (v["gso"] == 0 && v["framelen"] - 14 > 1500) bad("IP packet larger than 1500")
	if (v["toa"] == "none") { if (v["paylen"] > 0) lastdata[sp] = -1; next }
	split(v["toa"], t, "/")
	if (t[2] == 8 && !(t[1] in ok8)) bad("kind " t[1] " with the 8-byte form")
	if (t[2] == 20 && !(t[1] in ok20)) bad("kind " t[1] " with the 20-byte form")
	g = gen_of(t[2], t[3], t[4])
	if (g < 0) { bad("TOA mixes generations"); next }
	with[sp]++
	if (serial[sp] && g < last[sp]) bad("generation " g " after " last[sp])
	if (g > last[sp]) { last[sp] = g; changes[sp]++ }
	seen[sp, g] = 1
	if (v["paylen"] > 0) lastdata[sp] = g
}
END {
	for (sp in final) {
		printf "# flow %s (port %s): %d segments, %d with TOA, %d generation changes, last data segment gen %s (final %s)\n", name[sp], sp, segs[sp], with[sp], changes[sp], lastdata[sp], final[sp]
		if (segs[sp] == 0) bad("no segments of flow " name[sp])
		else if (lossy) {
			if (lastdata[sp] != final[sp])
				print "# flow " name[sp] ": tail not checked, the capture lost segments"
		} else if (lastdata[sp] != final[sp] && (lastdata[sp] != -1 || !missed))
			bad("flow " name[sp] " ended with gen " lastdata[sp] ", not the final " final[sp])
		if (!lossy && !(sp SUBSEP final[sp] in seen)) bad("flow " name[sp] ": the final gen " final[sp] " never on the wire")
		if (changes[sp] < 3) bad("flow " name[sp] ": only " changes[sp] " generations seen on the wire")
		total += segs[sp]
	}
	print "# retag segments checked: " total
	exit nbad > 0
}' cap.txt >gen.out
rc=$?
cat gen.out
[ $rc = 0 ] || fail "TOA generations (above)"
log "figures: retag ops=$(cat r4.out r6.out rx.out | sed -n 's/.* ops=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }') kind_flips=$flips $(grep 'segments checked' gen.out | sed 's/^# //')"
rm -f cap.txt
check_module_warnings
wait_live_zero
log "took $(hard_took)"
pass
