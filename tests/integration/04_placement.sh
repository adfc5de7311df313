#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 4. Where TOA goes. handshake: until the backend's first byte - or its FIN -
#    and no further; always: every client segment of a big transfer; a RST
#    never; a tag set after connect() marks later segments, not the
#    handshake ACK.
. /tests/lib.sh

topo_up
toa_load
T="--addr 203.0.113.7 --port 4000 --len 8 --kind 254 --mtu 1500"

log "handshake: backend data stops TOA"
server_start s1 --listen $BE4:8081 --count 1 --expect 501000 --reply 100
sniff_start c1
client k1 --dst $BE4:8081 --tag 203.0.113.7:4000 --send 1000 --recv 100 \
	--send2 500000 --expect-recv 100
server_wait s1
sniff_stop c1
check c1 --mode handshake $T --min-with 2 --min-without 10

log "handshake: the backend's FIN stops TOA too"
server_start s2 --listen $BE4:8082 --count 1 --expect 5000 --shut-first
sniff_start c2
client k2 --dst $BE4:8082 --tag 203.0.113.7:4000 --delay 2 --send 5000 \
	--expect-recv 0
server_wait s2
sniff_stop c2
# only the handshake ACK: everything later acknowledges the FIN
check c2 --mode handshake $T --min-with 1 --min-without 2
assert_eq "$(toa_segs c2 '254/8/')" 1 "segments with TOA before the backend's FIN"

log "always: every client segment"
toa_param_set inject always || fail "inject=always"
server_start s3 --listen $BE4:8083 --count 1 --expect 2001000 --reply 300000
sniff_start c3
client k3 --dst $BE4:8083 --tag 203.0.113.7:4000 --send 1000 --recv 300000 \
	--send2 2000000 --expect-recv 300000
server_wait s3
sniff_stop c3
check c3 --mode always $T --min-with 30

log "RST never carries TOA (always mode)"
server_start s4 --listen $BE4:8084 --count 3 --expect 1000 --reply 100 --allow-reset
sniff_start c4
client k4 --dst $BE4:8084 --tag 203.0.113.7:4000 --send 1000 --recv 100 \
	--linger0 --count 3
server_wait s4
sniff_stop c4
check c4 --mode always $T --flows 3
assert_ge "$(count "src=$LB4 .* flags=R" c4.txt)" 3 "RSTs from the client in the capture"

log "tag after connect: not on the handshake ACK, on what follows"
toa_param_set inject handshake || fail "inject=handshake"
server_start s5 --listen $BE4:8085 --count 1 --expect 11000 --reply 100
sniff_start c5
client k5 --dst $BE4:8085 --tag 203.0.113.7:4000 --tag-after-connect \
	--send 1000 --recv 100 --send2 10000 --expect-recv 100 \
	--expect-get 203.0.113.7:4000
server_wait s5
sniff_stop c5
check c5 --mode handshake --late-tag $T --min-with 1 --min-without 2
wait_live_zero
pass
