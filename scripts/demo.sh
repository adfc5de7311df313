#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh ("make demo"): boot the test guest with three hosts -- a client, a
# load balancer running examples/toa_proxy with sdp_toa loaded, a backend --
# send a request through the proxy, and say in plain words who the client
# is, whom the backend's kernel sees (the proxy), what the TOA option in the
# backend's capture says (the client), and the module's counters.
#
# One command on a fresh Debian 12 machine, as root: it installs what it
# needs (scripts/deps.sh, as make check does). No new machinery: it builds
# what the demo needs and runs scripts/run-guest.sh with a tests directory
# holding only tests/integration/81-demo.sh and the programs it runs, so the
# guest boots, runs the demo, and powers off.
#
# Environment: VERBOSE=1 shows every step's output; anything run-guest.sh
# reads (VM_ACCEL=kvm, GUEST_TIMEOUT, MODULE_KO, ...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

t0=$(date +%s)
work=$BUILD_DIR/demo
mkdir -p "$work"
log=$work/steps.log
: >"$log"

# run CMD...: output to the log (and the terminal with VERBOSE=1); on
# failure show its end and stop.
run() {
	if [[ ${VERBOSE:-} == 1 ]]; then
		"$@" 2>&1 | tee -a "$log"
		[[ ${PIPESTATUS[0]} == 0 ]] && return 0
	elif "$@" >>"$log" 2>&1; then
		return 0
	fi
	tail -n 25 "$log" | sed 's/^/    | /' >&2
	die "failed: $* (log: $log)"
}

echo "demo: checking packages (scripts/deps.sh)"
run scripts/deps.sh
# "make demo" resolved KDIR before deps could install headers (see check.sh)
if [[ ${SDP_TOA_KDIR_AUTO:-} == 1 && ! -f ${KDIR:-/nonexistent}/Makefile ]]; then
	unset KDIR KERNELRELEASE
fi

echo "demo: building the module, the test programs and examples/"
run make --no-print-directory -C "$ROOT" modules
run make --no-print-directory -C tests bin/toa_client bin/toa_server bin/toa_sniff
run make --no-print-directory -C examples

# The guest's tests directory: the demo and what it runs, nothing else.
stage=$work/tests
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/integration"
for f in tests/bin/toa_client tests/bin/toa_server tests/bin/toa_sniff \
	 examples/bin/toa_proxy; do
	cp "$f" "$stage/bin/"
done
cp tests/integration/81-demo.sh "$stage/integration/"
if [[ -d tests/guest ]]; then
	mkdir -p "$stage/guest"
	for f in tests/guest/modules tests/guest/lib.sh; do
		[[ -f $f ]] && cp "$f" "$stage/guest/"
	done
fi

echo "demo: booting the guest (QEMU, kernel $(guest_release)); this takes a little while under TCG"
out=$work/run-guest.out
rc=0
# EXAMPLES_SRC: toa_proxy is in $stage/bin already; ship nothing else.
TESTS_SRC=$stage EXAMPLES_SRC=$work/no-examples BUILD_DIR=$work \
	GUEST_TIMEOUT=${GUEST_TIMEOUT:-300} scripts/run-guest.sh >"$out" 2>&1 || rc=$?
console=$(sed -n 's/^guest: kernel .*, log //p' "$out" | head -n 1)

# The demo's own output: between its markers, without kernel messages.
if [[ -n $console && -f $console ]]; then
	awk '/@@SDPTOA BEGIN 81-demo/ { on = 1; next }
	     /@@SDPTOA RESULT 81-demo/ { on = 0 }
	     on && !/^\[ *[0-9]+\.[0-9]+\]/' "$console"
fi
if ((rc != 0)); then
	echo "demo: FAILED; the guest run said:"
	sed 's/^/    | /' "$out"
	exit 1
fi
echo "demo: done in $(($(date +%s) - t0)) s (guest console: $console)"
