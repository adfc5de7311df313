#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 90. The ops command, sdp-toa, against a live module:
#       status: loaded, version, srcversion, data path, parameters,
#         counters; -i: rates over an interval while tagged connections
#         run; -j: well-formed JSON with those members (toa_json); the
#         receiver's section when it is loaded
#       check: passes with the module loaded (the handshake ACK of a tagged
#         loopback connection in a private netns carries the TOA), fails
#         with a one-line reason when the module is absent or the kind the
#         receivers read does not match; JSON too
#       sockets: a tagged socket in each state (unconnected, handshake,
#         carrying, stopped after the backend's first byte, always,
#         closing after the backend's FIN) with its client, kind and
#         segment count; filters; JSON; as many lines as sockets_live, none
#         stale after they close; read in a loop across an rmmod
#       clear errors: not loaded (exit 2)
. /tests/lib.sh

ST=$BIN/sdp-toa
[ -x "$ST" ] || fail "no $ST"

log "module absent"
"$ST" status >s0.out 2>&1
rc=$?
cat s0.out | sed 's/^/# /'
assert_eq "$rc" 2 "status without the module: exit 2"
assert_grep 'sdp_toa is not loaded' s0.out "status says the module is not loaded"
"$ST" status -p >p0.out 2>&1
assert_eq "$?" 0 "status -p without the module: exit 0"
assert_grep '^sdp_toa_loaded\{module="sdp_toa"\} 0$' p0.out "status -p: sdp_toa_loaded 0"
"$ST" check >c0.out 2>&1
assert_eq "$?" 1 "check without the module: exit 1 (fail)"
assert_grep '^fail: sdp_toa is not loaded' c0.out "check's reason"
"$ST" check -j >c0.json 2>&1
"$BIN/toa_json" check reason <c0.json || fail "check -j without the module: $(cat c0.json)"
assert_grep '"check":"fail"' c0.json "check -j says fail"

log "module loaded"
topo_up
toa_load kind=254
"$ST" status >s1.out 2>&1 || fail "status: $(cat s1.out)"
sed 's/^/# /' s1.out
assert_grep '^sdp_toa: loaded' s1.out "status: loaded"
assert_grep "version +$(cat /sys/module/sdp_toa/version)\$" s1.out "status: version"
assert_grep "srcversion +$(cat /sys/module/sdp_toa/srcversion)\$" s1.out "status: srcversion"
assert_grep "datapath +$(toa_datapath)\$" s1.out "status: data path"
assert_grep 'kind +254$' s1.out "status: kind"
assert_grep 'sockets_tagged +[0-9]+$' s1.out "status: counters"

log "rates while tagged connections run"
server_start r --listen $BE4:8301 --count 20 --expect 100 --reply 100
client_bg c --dst $BE4:8301 --tag 203.0.113.60:4000 --count 20 --send 100 \
	--recv 100 --expect-recv 100
"$ST" status -i 2 -j >s2.json 2>&1 || fail "status -i 2 -j: $(cat s2.json)"
client_wait c
server_wait r
"$BIN/toa_json" sdp_toa sdp_toa_recv loaded version srcversion parameters \
	counters rates interval sockets_tagged datapath <s2.json ||
	{ cat s2.json; fail "status -j is not the JSON it should be"; }
assert_grep '"sdp_toa_recv":\{"loaded":false\}' s2.json "status -j: no receiver"
tagged_rate=$(sed -n 's/.*"rates":{[^}]*"sockets_tagged":\([0-9.]*\).*/\1/p' s2.json)
log "sockets_tagged per second over the interval: $tagged_rate"
[ -n "$tagged_rate" ] || fail "no sockets_tagged rate"
assert_ge "$(echo "$tagged_rate" | cut -d. -f1)$(echo "$tagged_rate" | cut -d. -f2 | cut -c1)" 1 \
	"a tagged connection counted in the interval (rate > 0)"

log "check"
"$ST" check >c1.out 2>&1
rc=$?
sed 's/^/# /' c1.out
assert_eq "$rc" 0 "check with the module loaded: pass"
assert_grep '^pass: the handshake ACK carries TOA kind 254, 8 bytes: a receiver sees 203\.0\.113\.1:4242$' \
	c1.out "check's verdict"
"$ST" check -j >c1.json || fail "check -j: $(cat c1.json)"
"$BIN/toa_json" check reason <c1.json || fail "check -j: $(cat c1.json)"
assert_grep '"check":"pass"' c1.json "check -j says pass"
"$ST" check --kind 200 >c2.out 2>&1
assert_eq "$?" 1 "check against receivers of kind 200: fail"
assert_grep '^fail: the handshake ACK carries no TOA of kind 200/200' c2.out "the reason names the kind"
toa_param_set kind 200 || fail "kind=200"
"$ST" check --kind 200 >c3.out 2>&1 || fail "check, module and receivers on kind 200: $(cat c3.out)"
toa_param_set kind 254 || fail "kind=254"

log "with the receiver loaded"
recv_load
"$ST" status -j >s3.json 2>&1 || fail "status -j: $(cat s3.json)"
"$BIN/toa_json" sdp_toa sdp_toa_recv trusted kinds toa_v4 <s3.json ||
	{ cat s3.json; fail "status -j with the receiver"; }
"$ST" status >s3.out 2>&1
assert_grep '^sdp_toa_recv: loaded' s3.out "status: the receiver"
# the Prometheus text format: every sample line well formed, the values
# those of /proc, counters _total, sockets_live a gauge
"$ST" status -p >p1.out 2>&1 || fail "status -p: $(cat p1.out)"
sed 's/^/# /' p1.out | head -12
assert_eq "$(grep -vcE '^(# (HELP|TYPE) .*|[a-z_][a-z0-9_]*(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9]+)$' p1.out)" 0 \
	"status -p: lines that are not the text format"
assert_grep '^sdp_toa_loaded\{module="sdp_toa"\} 1$' p1.out "status -p: sdp_toa loaded"
assert_grep '^sdp_toa_loaded\{module="sdp_toa_recv"\} 1$' p1.out "status -p: receiver loaded"
assert_grep "^sdp_toa_info\\{module=\"sdp_toa\",.*datapath=\"$(toa_datapath)\"\\} 1\$" p1.out "status -p: info"
assert_grep '^# TYPE sdp_toa_sockets_live gauge$' p1.out "status -p: sockets_live is a gauge"
assert_eq "$(sed -n 's/^sdp_toa_sockets_tagged_total //p' p1.out)" \
	"$(toa_stat sockets_tagged)" "status -p: sockets_tagged"
assert_eq "$(sed -n 's/^sdp_toa_recv_toa_v4_total //p' p1.out)" \
	"$(recv_stat toa_v4)" "status -p: the receiver's toa_v4"
recv_unload

log "sockets: the per-socket view, a socket in each state"
toa_param_set inject handshake || fail "inject=handshake"
# unconnected: tagged, never connected
client_bg u --no-connect --tag 203.0.113.61:4001 --hold 30 --ready u.rdy
# carrying: connected, the backend has sent nothing (it waits for 2000 bytes)
server_start sc --listen $BE4:8302 --count 1 --expect 1000 --reply 100 --reply-after 2000 --allow-reset
client_bg cc --dst $BE4:8302 --tag 203.0.113.62:4002 --send 1000 --recv 100 --ready cc.rdy --timeout 60
# stopped: the backend answered (IPv6, 20-byte form)
server_start ss --listen "[$BE6]:8303" --count 1 --expect 100 --reply 100 --allow-reset
client_bg cs --dst "[$BE6]:8303" --tag "[2001:db8:c::63]:4003" --send 100 --recv 100 --ready cs.rdy --hold 30
# closing: the backend sent its FIN first (CLOSE_WAIT on this side)
server_start sf --listen $BE4:8304 --count 1 --expect 100 --shut-first --allow-reset
client_bg cf --dst $BE4:8304 --tag 203.0.113.64:4004 --send 100 --ready cf.rdy --hold 30
wait_file u.rdy
wait_file cc.rdy
wait_file cs.rdy
wait_file cf.rdy
sleep 1
"$ST" sockets >k.out 2>&1 || fail "sockets: $(cat k.out)"
sed 's/^/# /' k.out
assert_eq "$(grep -c ' 203\.0\.113\.61:4001 ' k.out)" 1 "sockets: the unconnected one"
assert_grep '203\.0\.113\.61:4001 +254 +unconnected +0$' k.out "sockets: unconnected, 0 segments"
assert_grep "$BE4:8302 +203\\.0\\.113\\.62:4002 +254 +carrying +[1-9]" k.out "sockets: carrying, segments counted"
assert_grep "\\[$BE6\\]:8303 +\\[2001:db8:c::63\\]:4003 +254 +stopped +[1-9]" k.out "sockets: stopped after the backend's first byte"
"$ST" sockets -j >k.json || fail "sockets -j"
"$BIN/toa_json" local remote client kind state segs <k.json || { cat k.json; fail "sockets -j is not JSON"; }
"$ST" sockets --backend $BE4:8302 >k1.out
assert_eq "$(grep -c carrying k1.out)" 1 "sockets --backend ADDR:PORT"
assert_eq "$(grep -vc '^local' k1.out)" 1 "sockets --backend: only that one"
"$ST" sockets --client 2001:db8:c::63 >k2.out
assert_eq "$(grep -vc '^local' k2.out)" 1 "sockets --client (IPv6, any port)"
assert_grep "$BE4:8304 +203\\.0\\.113\\.64:4004 +254 +closing " k.out "sockets: closing (the backend's FIN came)"
assert_eq "$(grep -vc '^local' k.out)" "$(toa_stat sockets_live)" "sockets: as many lines as sockets_live"
# always: the established ones, with inject=always
toa_param_set inject always || fail "inject=always"
"$ST" sockets >ka.out 2>&1 || fail "sockets (always): $(cat ka.out)"
toa_param_set inject handshake || fail "inject=handshake"
assert_grep "$BE4:8302 +203\\.0\\.113\\.62:4002 +254 +always " ka.out "sockets: inject=always"
# handshake: a SYN to an on-link address nobody has (ARP fails in ~3 s)
"$IP" netns exec lb "$BIN/toa_client" --dst 192.0.2.77:8305 \
	--tag 203.0.113.65:4005 --syn-retries 2 --send 1 >h.out 2>&1 &
hpid=$!
_hs() { "$ST" sockets >kh.out 2>&1 && grep -qE '192\.0\.2\.77:8305 .*203\.0\.113\.65:4005 +254 +handshake ' kh.out; }
wait_until 10 _hs || { cat kh.out h.out; fail "sockets: no socket in state handshake"; }
kill "$hpid" 2>/dev/null
wait "$hpid" 2>/dev/null
# who may read the view: CAP_NET_ADMIN, or the group allowed_gid
SP=/opt/tools/setpriv
if [ -x $SP ]; then
	as_nobody() { $SP --reuid 65534 --regid 65534 --clear-groups "$@"; }
	as_nobody "$ST" sockets >p1.out 2>&1
	assert_eq "$?" 2 "sockets as nobody: exit 2"
	assert_grep 'Permission denied .*allowed_gid' p1.out "sockets as nobody: why"
	toa_param_set allowed_gid 65534 || fail "allowed_gid=65534"
	as_nobody "$ST" sockets >p2.out 2>&1 || fail "sockets as nobody in allowed_gid: $(cat p2.out)"
	assert_eq "$(grep -vc '^local' p2.out)" "$(grep -vc '^local' k.out)" \
		"sockets as nobody in allowed_gid: every tagged socket"
	assert_gt "$(grep -vc '^local' p2.out)" 2 "sockets as nobody in allowed_gid: lines"
	toa_param_set allowed_gid -1 || fail "allowed_gid=-1"
	as_nobody "$ST" sockets >p3.out 2>&1
	assert_eq "$?" 2 "sockets as nobody once allowed_gid is -1 again: exit 2"
else
	log "no $SP: the view's permission is not checked here"
fi
for p in u cc cs cf; do kill "$(cat $p.pid)" 2>/dev/null; wait "$(cat $p.pid)" 2>/dev/null; done
kill "$(cat sc.pid)" "$(cat ss.pid)" "$(cat sf.pid)" 2>/dev/null
wait_live_zero
"$ST" sockets >k3.out || fail "sockets after they went"
assert_eq "$(grep -vc '^local' k3.out)" 0 "sockets: no stale entry after they closed"
# read in a loop while the module goes: no crash, a clear error after
( while :; do "$ST" sockets >/dev/null 2>&1 || break; done ) &
rl=$!
toa_unload
wait $rl
"$ST" sockets >k4.out 2>&1
assert_eq "$?" 2 "sockets without the module: exit 2"
assert_grep 'not loaded' k4.out "sockets: the module is not loaded"
toa_load
toa_unload
pass
