#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 10. rmmod and insmod while tagged connections are open and transferring:
#     no transfer breaks or loses a byte, every option area stays well
#     formed, nothing leaks (sockets_live is 0 at the end, dmesg clean).
. /tests/lib.sh

topo_up
toa_load inject=always
sniff_start cap

log "phase 1: established tagged sockets, module replaced under them"
server_start sa --listen "[::]:8081" --count 8 --expect 1100000 --reply 1000
client_bg ka --dst $BE4:8081 --tag 203.0.113.7:4000 --parallel 4 --send 100000 \
	--recv 1000 --ready ka.rdy --wait-file go --send2 1000000 \
	--expect-recv 1000
client_bg kb --dst "[$BE6]:8081" --tag "[2001:db8:c::7]:4000" --parallel 4 \
	--send 100000 --recv 1000 --ready kb.rdy --wait-file go \
	--send2 1000000 --expect-recv 1000
wait_file ka.rdy
wait_file kb.rdy
assert_ge "$(toa_stat sockets_live)" 8 "sockets_live before rmmod"
toa_unload
toa_load inject=always
touch go
client_wait ka
client_wait kb
server_wait sa

log "phase 2: bulk transfers and short connections while the module comes and goes"
server_start sb --listen $BE4:8082 --count 4 --expect 4000000
server_start sc --listen "[::]:8083" --count 60 --expect 5000 --reply 500
client_bg kc --dst $BE4:8082 --tag 203.0.113.8:4000 --parallel 4 \
	--send 4000000 --tag-may-fail ENOPROTOOPT
client_bg kd --dst "[$BE6]:8083" --tag "[2001:db8:c::8]:4000" --parallel 2 \
	--count 30 --send 5000 --expect-recv 500 --tag-may-fail ENOPROTOOPT
for i in 1 2 3; do
	sleep 0.3
	toa_unload_busy
	sleep 0.2
	toa_load inject=always
done
client_wait kc
client_wait kd
server_wait sb
server_wait sc
sniff_stop cap

# TOA came and went; what matters is that no option area broke
assert_eq "$(count 'malformed=1' cap.txt)" 0 "malformed option areas"
assert_eq "$(count 'unknown=[^-]' cap.txt)" 0 "unattributable options"
assert_eq "$(count ' ntoa=[2-9]' cap.txt)" 0 "segments with two TOAs"
assert_gt "$(toa_segs cap '254/')" 0 "segments with TOA"
cap_lossless cap || fail "capture lost segments"
wait_live_zero
toa_unload
pass
