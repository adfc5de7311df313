#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# experiment-overflow.sh: boot the guest (about 55 min with the defaults) with
# tests/experiments/overflow-early-end.sh as its only script (connections
# that end early under an overflowing accept queue, with and without TOA;
# docs/DESIGN.md) and print its table. An experiment, not a test: it fails
# only when the guest could not run it. Not part of make check.
#
# Environment: EXP_ROUNDS EXP_THREADS EXP_COUNT EXP_ARMS EXP_COOKIES
# EXP_DETAIL (see the guest script), EXP_LOG=FILE (only analyse a console
# log), and anything scripts/run-guest.sh reads (VM_ACCEL: default tcg-mt,
# both vCPUs really in parallel, as races between CPUs need; nothing is
# (un)hooked while traffic runs).
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

: "${EXP_ROUNDS:=6}" "${EXP_THREADS:=50}" "${EXP_COUNT:=100}"
: "${EXP_ARMS:=absent tag untag dummy recv}" "${EXP_COOKIES:=1 0}"
: "${EXP_DETAIL:=20}"
run=$BUILD_DIR/experiment/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run"

if [[ -n ${EXP_LOG:-} ]]; then
	cp -p "$EXP_LOG" "$run/console.log" || die "cannot read $EXP_LOG"
else
	resolve_kernel
	make --no-print-directory modules >"$run/build.log" 2>&1 &&
	make --no-print-directory -C tests >>"$run/build.log" 2>&1 || {
		tail -n 30 "$run/build.log"
		die "build failed (log: $run/build.log)"
	}
	stage=$run/stage
	mkdir -p "$stage/integration" "$stage/guest"
	cp -r tests/bin "$stage/bin"
	cp tests/guest/lib.sh "$stage/guest/lib.sh"
	{
		echo "#!/bin/sh"
		echo "# test-timeout: ${EXP_TIMEOUT:-7200}"
		for v in EXP_ROUNDS EXP_THREADS EXP_COUNT EXP_ARMS EXP_COOKIES EXP_DETAIL; do
			printf '%s="%s"\n' "$v" "${!v}"
		done
		cat tests/experiments/overflow-early-end.sh
	} >"$stage/integration/overflow.sh"
	echo "experiment: $EXP_ROUNDS round(s) of arms '$EXP_ARMS' x cookies '$EXP_COOKIES'," \
	     "2 x $EXP_THREADS threads x $EXP_COUNT connections per cell; log $run"
	TESTS_SRC=$stage EXAMPLES_SRC=$run/no-examples \
	VM_ACCEL=${VM_ACCEL:-tcg-mt} \
		scripts/run-guest.sh >"$run/guest.log" 2>&1
	log=$(sed -n 's/^guest: kernel .*, log //p' "$run/guest.log" | head -n 1)
	[[ -n $log && -f $log ]] && cp "$log" "$run/console.log"
	rm -rf "$stage"
	grep -q '^@@EXP done' "$run/console.log" 2>/dev/null || {
		tail -n 40 "$run/guest.log"
		die "the guest did not complete the experiment (logs: $run)"
	}
fi

sed -n 's/^.*@@EXP //p' "$run/console.log" | tr -d '\r' >"$run/raw.txt"
# One row per arm x cookies, summed over rounds.
awk '
function kv(line, key,   m) {
	if (match(line, "(^| )" key "=[^ ]*")) {
		m = substr(line, RSTART, RLENGTH); sub(/^ /, "", m)
		return substr(m, length(key) + 2)
	}
	return 0
}
$1 == "kind" && / stage=connect / {	# (a connect that timed out: no connection)
	k = kv($0, "arm") " " kv($0, "cookies"); cto[k] += kv($0, "n")
}
$1 == "cell" {
	k = kv($0, "arm") " " kv($0, "cookies")
	if (!(k in conns)) order[++n] = k
	conns[k] += kv($0, "conns"); failed[k] += kv($0, "failed")
	sev[k] += kv($0, "server_events"); sop[k] += kv($0, "server_open"); cells[k]++; secs[k] += kv($0, "secs")
	ovf[k] += kv($0, "be.TcpExtListenOverflows")
	cf[k] += kv($0, "be.TcpExtSyncookiesFailed")
	ck[k] += kv($0, "be.TcpExtSyncookiesRecv")
	rst[k] += kv($0, "be.TcpOutRsts"); crst[k] += kv($0, "lb.TcpOutRsts")
	er[k] += kv($0, "lb.TcpEstabResets") + kv($0, "lb.TcpAttemptFails")
}
END {
	printf "| arm | cookies | cells | secs | good conns | connect failed | client failures after connect | per 100k | per 1k overflows | server early ends | per 100k | server open at stop | ListenOverflows | SyncookiesRecv | SyncookiesFailed | backend RSTs | LB RSTs |\n"
	printf "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
	for (i = 1; i <= n; i++) {
		k = order[i]; split(k, p, " ")
		t = conns[k] + failed[k]
		f = failed[k] - cto[k]
		printf "| %s | %s | %d | %d | %d | %d | %d | %.1f | %.1f | %d | %.1f | %d | %d | %d | %d | %d | %d |\n",
			p[1], p[2], cells[k], secs[k], conns[k], cto[k], f,
			t ? 100000 * f / t : 0, ovf[k] ? 1000 * f / ovf[k] : 0, sev[k],
			t ? 100000 * sev[k] / t : 0, sop[k], ovf[k], ck[k], cf[k], rst[k], crst[k]
	}
}' "$run/raw.txt" >"$run/table.md"
cat "$run/table.md"
echo
# sum_lines WORD: the raw lines starting with WORD, their n= summed over rounds
sum_lines() {
	awk -v w="$1" '$1 == w { k = $0; sub(/ round=[0-9]*/, "", k); n = $0
		sub(/.* n=/, "", n); sub(/ .*/, "", n); sub(/ n=[0-9]*/, "", k); s[k] += n }
		END { for (k in s) printf "  %6d %s\n", s[k], substr(k, length(w) + 2) }' "$run/raw.txt" |
		sort -k2
}
echo "kinds of failures (summed over rounds):"
sum_lines kind
echo "resets (summed over rounds):"
sum_lines reset
echo "(all: $run/raw.txt)"
