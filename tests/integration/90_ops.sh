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
#       clear errors: not loaded (exit 2), sockets (no view in this version)
. /tests/lib.sh

ST=$BIN/sdp-toa
[ -x "$ST" ] || fail "no $ST"

log "module absent"
"$ST" status >s0.out 2>&1
rc=$?
cat s0.out | sed 's/^/# /'
assert_eq "$rc" 2 "status without the module: exit 2"
assert_grep 'sdp_toa is not loaded' s0.out "status says the module is not loaded"
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
recv_unload

"$ST" sockets >k.out 2>&1
assert_eq "$?" 2 "sockets: exit 2"
assert_grep 'no per-socket view' k.out "sockets says why"
wait_live_zero
toa_unload
pass
