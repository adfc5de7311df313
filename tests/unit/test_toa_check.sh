#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# toa_check's own rules on hand-written captures (inject=always, 8-byte TOA).
# Output in cmocka's format, which scripts/check.sh counts.
#   sh unit/test_toa_check.sh PATH/TO/toa_check
set -u
CHECK=${1:?usage: test_toa_check.sh TOA_CHECK}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
failed=0

C='dir=in src=192.0.2.1 sport=40000 dst=192.0.2.2 dport=8081'
S='dir=out src=192.0.2.2 sport=8081 dst=192.0.2.1 dport=40000'
TOA='optlen=20 opts=1,1,8/10,254/8 toa=254/8/203.0.113.7/4000 ntoa=1 unknown=- malformed=0'
NO='optlen=12 opts=1,1,8/10 toa=none ntoa=0 unknown=- malformed=0'
SYN='optlen=20 opts=2/4,4/2,8/10,1,3/3 toa=none ntoa=0 unknown=- malformed=0'
# seg SIDE FLAGS SEQ ACK PAYLEN OPTS
seg() { echo "$1 flags=$2 seq=$3 ack=$4 win=500 paylen=$5 framelen=$((66 + $5)) gso=0 $6"; }

# a connection that the client closes first; $1: its FIN flags ("FA" or "A")
conn() {
	echo "# toa_sniff if=veth-be kinds=254 kinds6=254"
	seg "$C" S 1000 0 0 "$SYN"
	seg "$S" SA 5000 1001 0 "$SYN"
	seg "$C" A 1001 5001 0 "$TOA"
	seg "$C" PA 1001 5001 100 "$TOA"
	seg "$C" "$1" 1101 5001 0 "$TOA"
	seg "$S" PA 5001 1102 50 "$NO"
	seg "$S" FA 5051 1102 0 "$NO"
	seg "$C" A 1102 5052 0 "$TOA"
}
end() { echo "# end packets=1 tcp=1 other=0 drops=0 vnet_errors=0"; }

# case NAME WANT(0|1) GREP: toa_check on $T/NAME.txt exits WANT, and its
# output matches GREP
case_() {
	echo "[ RUN      ] toa_check_$1"
	"$CHECK" "$T/$1.txt" --mode always --len 8 --addr 203.0.113.7 \
		--port 4000 >"$T/$1.out" 2>&1
	rc=$?
	if [ "$rc" = "$2" ] && grep -q -- "$3" "$T/$1.out"; then
		echo "[       OK ] toa_check_$1"
	else
		sed 's/^/    /' "$T/$1.out"
		echo "    expected exit $2 and a line matching '$3', got exit $rc"
		echo "[  FAILED  ] toa_check_$1"
		failed=1
	fi
}

# the server's FIN sent again, re-acknowledged by the client's TIME_WAIT
# socket without TOA: allowed and counted
{ conn FA; seg "$S" FA 5051 1102 0 "$NO"; seg "$C" A 1102 5052 0 "$NO"; end; } >"$T/timewait_reack.txt"
case_ timewait_reack 0 'violations=0 .* timewait=1$'

# the same bare ACK while the client has not sent its FIN: a violation
{ conn A; seg "$S" FA 5051 1102 0 "$NO"; seg "$C" A 1101 5052 0 "$NO"; end; } >"$T/no_client_fin.txt"
case_ no_client_fin 1 'TOA missing'

# a bare ACK without TOA before the server's FIN: a violation
{ conn FA | sed "/flags=PA seq=5001 /a $(seg "$C" A 1102 5051 0 "$NO")"; end; } >"$T/before_server_fin.txt"
case_ before_server_fin 1 'TOA missing'

# after both FINs, a segment with data, or acknowledging something else
{ conn FA; seg "$C" A 1102 5051 0 "$NO"; end; } >"$T/wrong_ack.txt"
case_ wrong_ack 1 'TOA missing'
{ conn FA; seg "$C" PA 1102 5052 10 "$NO"; end; } >"$T/data.txt"
case_ data 1 'TOA missing'

# no room (timestamps + three SACK blocks + 8 bytes > 40) comes first:
# noroom, not timewait, so that pkts_no_room can be compared with the capture
FULL='optlen=40 opts=1,1,8/10,1,1,5/26 toa=none ntoa=0 unknown=- malformed=0'
{ conn FA; seg "$S" FA 5051 1102 0 "$NO"; seg "$C" A 1102 5052 0 "$FULL"; end; } >"$T/noroom_first.txt"
case_ noroom_first 0 'violations=0 noroom=1 .* timewait=0$'

# every TOA present: clean, nothing counted as timewait
{ conn FA; end; } >"$T/clean.txt"
case_ clean 0 'violations=0 .* timewait=0$'

exit $failed
