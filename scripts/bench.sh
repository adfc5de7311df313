#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh ("make bench"): what sdp_toa costs per packet and per connection,
# side by side with no module, in one guest boot (docs/BENCHMARKS.md).
#
# Builds the module and bench/ (toa_bench, toa_bench_kmod.ko), boots the
# guest with bench/guest-bench.sh as its only test, then prints a table of
# medians, min-max and ratios against "module absent", and writes it with a
# plot to $BUILD_DIR/bench/<run>/ (and build/bench/latest).  Never fails on
# figures: only when the guest could not run the bench.
#
# Environment:
#   BENCH_ROUNDS        rounds (default 5; each runs every variant once)
#   BENCH_QUICK=1       the smoke of make check: 1 round, small sizes, scales
#                       1 and 1000 (about 2 minutes)
#   BENCH_SCALES        tagged sockets held for the scale test (default
#                       "1 1000 100000")
#   BENCH_BULK1_MB BENCH_BULK4_MB BENCH_CONNS BENCH_PARALLEL
#   BENCH_HOOK_LOOPS BENCH_HOOK_SAMPLES   see bench/guest-bench.sh
#   BENCH_UPDATE_DOCS=1 also write the table into docs/BENCHMARKS.md
#                       (between its bench:begin/end markers) and the plot
#                       to docs/bench.png
#   BENCH_LOG=FILE      only analyse an existing guest console log
#   GUEST_MEM           guest RAM (default 3G: 100,000 sockets need ~1 GB)
#   and anything scripts/run-guest.sh reads.
set -uo pipefail
# A module given from outside (MODULE_KO=...: a patched build to compare)
# is benched as it is; otherwise this tree's is built first.
user_ko=${MODULE_KO:-}
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	: "${BENCH_ROUNDS:=1}" "${BENCH_BULK1_MB:=20}" "${BENCH_BULK4_MB:=5}"
	: "${BENCH_CONNS:=200}" "${BENCH_SCALES:=1 1000}"
	: "${BENCH_HOOK_LOOPS:=2000}" "${BENCH_HOOK_SAMPLES:=3}"
fi
: "${BENCH_ROUNDS:=5}" "${BENCH_BULK1_MB:=200}" "${BENCH_BULK4_MB:=50}"
: "${BENCH_CONNS:=2000}" "${BENCH_PARALLEL:=4}" "${BENCH_SCALES:=1 1000 100000}"
: "${BENCH_HOOK_LOOPS:=10000}" "${BENCH_HOOK_SAMPLES:=15}"
export GUEST_MEM=${GUEST_MEM:-3G}

mkdir -p "$BUILD_DIR/bench"
run=$BUILD_DIR/bench/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run"
ls -1dt "$BUILD_DIR"/bench/2*/ 2>/dev/null | tail -n +11 | xargs -r rm -rf

if [[ -n ${BENCH_LOG:-} ]]; then
	cp -p "$BENCH_LOG" "$run/console.log" || die "cannot read $BENCH_LOG"
else
	# ---- what it needs: make deps's packages, gnuplot for the plot
	scripts/deps.sh >"$run/deps.log" 2>&1 || {
		cat "$run/deps.log"
		die "scripts/deps.sh failed"
	}
	if ! command -v gnuplot >/dev/null && ((EUID == 0)) &&
	   [[ ${BENCH_QUICK:-0} != 1 ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			gnuplot-nox >>"$run/deps.log" 2>&1 ||
			echo "bench: could not install gnuplot-nox: no plot"
	fi
	# ---- build: the module, the guest programs, the helper module
	resolve_kernel
	echo "bench: building (KDIR=${KDIR:-?})"
	: >"$run/build.log"
	if [[ -z $user_ko ]]; then
		make --no-print-directory modules >"$run/build.log" 2>&1
	else
		echo "bench: module $MODULE_KO (not rebuilt)"
	fi &&
	make --no-print-directory -C bench KDIR="$KDIR" >>"$run/build.log" 2>&1 || {
		tail -n 30 "$run/build.log"
		die "build failed (log: $run/build.log)"
	}

	# ---- the guest's tests directory: the bench is its only test
	stage=$run/stage
	mkdir -p "$stage/bin" "$stage/integration" "$stage/guest"
	cp bench/bin/toa_bench bench/bin/toa_bench_kmod.ko "$stage/bin/"
	# the HAProxy line: its client/backend and the preload library
	make --no-print-directory -C tests bin/toa_bpfopt >>"$run/build.log" 2>&1 &&
	cp tests/bin/toa_bpfopt "$stage/bin/" ||
		echo "bench: no toa_bpfopt: no eBPF row"
	make --no-print-directory -C tests bin/toa_peer >>"$run/build.log" 2>&1 &&
	make --no-print-directory -C user >>"$run/build.log" 2>&1 &&
	cp tests/bin/toa_peer user/bin/libsdp_toa_transparent.so "$stage/bin/" ||
		echo "bench: no toa_peer or preload library: no HAProxy line"

	cp tests/guest/lib.sh "$stage/guest/lib.sh"
	{
		echo "#!/bin/sh"
		for v in BENCH_ROUNDS BENCH_BULK1_MB BENCH_BULK4_MB BENCH_CONNS \
			 BENCH_PARALLEL BENCH_SCALES BENCH_HOOK_LOOPS BENCH_HOOK_SAMPLES; do
			printf '%s="%s"\n' "$v" "${!v}"
		done
		cat bench/guest-bench.sh
	} >"$stage/integration/bench.sh"

	# What was measured, on what: kept with the figures.
	{
		echo "module: $MODULE_KO, srcversion $(modinfo -F srcversion "$MODULE_KO" 2>/dev/null)"
		if [[ -z $user_ko ]] && git -C "$ROOT" rev-parse -q HEAD >/dev/null 2>&1; then
			mods=$(cd "$ROOT" && git status --porcelain -- ./*.c ./*.h 2>/dev/null |
			       awk '{ printf "%s%s", (n++ ? " " : ""), $2 }')
			echo "source: commit $(git -C "$ROOT" log -1 --format=%h)${mods:+, modified: $mods}"
		fi
		echo "host: $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
		echo "qemu: $(qemu-system-x86_64 --version | head -n 1), TCG, -smp 2, -m $GUEST_MEM"
		echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	} >"$run/machine.txt"

	# Budget: boot, plus per round about 1.5 min on a quiet machine
	# (+20 s for 100,000 held); the limit allows for a loaded one.
	est=$((60 + BENCH_ROUNDS * 90))
	[[ $BENCH_SCALES == *100000* ]] && est=$((est + BENCH_ROUNDS * 20))
	export GUEST_TIMEOUT=${GUEST_TIMEOUT:-$((est * 4))}
	echo "bench: $BENCH_ROUNDS round(s), guest ${GUEST_MEM} RAM, about $((est / 60)) min" \
	     "(host load: $(cut -d' ' -f1-3 /proc/loadavg))"
	# Multi-threaded TCG: both vCPUs really run in parallel, as the 4
	# streams need; nothing is (un)hooked while traffic runs here.
	TESTS_SRC=$stage EXAMPLES_SRC=$run/no-examples \
	VM_ACCEL=${VM_ACCEL:-tcg-mt} \
	GUEST_APPEND="${GUEST_APPEND:-} sdptoa.test_timeout=$GUEST_TIMEOUT" \
		scripts/run-guest.sh >"$run/guest.log" 2>&1
	grc=$?
	log=$(sed -n 's/^guest: kernel .*, log //p' "$run/guest.log" | head -n 1)
	[[ -n $log && -f $log ]] && cp "$log" "$run/console.log"
	rm -rf "$stage"
	if ((grc != 0)) || ! grep -q '^@@BENCH done' "$run/console.log" 2>/dev/null; then
		sed 's/^/    | /' "$run/guest.log" | tail -n 40
		grep '@@BENCH' "$run/console.log" 2>/dev/null | tail -n 5
		die "the guest did not complete the bench (logs: $run)"
	fi
fi

sed -n 's/^.*@@BENCH //p' "$run/console.log" >"$run/raw.txt"
if [[ -n ${BENCH_LOG:-} ]]; then
	# the run's own record, if the log comes from a bench run directory
	cp "$(dirname "$BENCH_LOG")/machine.txt" "$run/machine.txt" 2>/dev/null ||
		echo "(analysed again from $BENCH_LOG)" >"$run/machine.txt"
else
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$run/machine.txt"
fi

# ---- analysis: one awk over the raw lines -> table.md, plot.dat
awk -v md="$run/table.md" -v dat="$run/plot.dat" -v hdat="$run/hook.dat" '
function kv(line, key,   m) {	# value of key=... in line
	if (match(line, "(^| )" key "=[^ ]*")) {
		m = substr(line, RSTART, RLENGTH); sub(/^ /, "", m)
		return substr(m, length(key) + 2)
	}
	return ""
}
function isort(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function med(a, n) { isort(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function stat(key, what,   i, n, a, m) {	# what: med min max n over vals[key, i]
	n = cnt[key]
	if (!n) return ""
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	if (what == "n") return n
	m = med(a, n)
	if (what == "min") return a[1]
	if (what == "max") return a[n]
	return m
}
BEGIN { ser[1] = "call"; ser[2] = "optw"; ser[3] = "sock"; ser[4] = "send0"; ser[5] = "udp" }
function ref_of(t) { return t ~ /^scale_/ ? "conn" : t }
function pct(x) { return x == "" ? "-" : sprintf("%.1f%%", 100 * x) }
function put(s) { print s > md }
# per-round ratios of variant v of test t against variant rv of test rt
function ratios(t, v, rt, rv, out,   r, n) {
	n = 0
	for (r = 1; r <= maxround; r++)
		if ((t, v, r) in byround && (rt, rv, r) in byround && byround[rt, rv, r] > 0)
			out[++n] = byround[t, v, r] / byround[rt, rv, r]
	return n
}
function rstat(t, v, rt, rv, what,   a, n, m) {
	n = ratios(t, v, rt, rv, a)
	if (!n) return ""
	m = med(a, n)
	if (what == "min") return a[1]
	if (what == "max") return a[n]
	return m
}
/^info / { info = info (info == "" ? "" : " ") substr($0, 6); next }
/^test=hook / {
	s = kv($0, "state"); k = kv($0, "sock")
	hk = s SUBSEP k
	if (!(hk in hseen)) { hseen[hk] = 1; horder[++nh] = hk; hn[hk] = 0 }
	hn[hk]++
	for (j = 1; j <= 5; j++) {
		if (kv($0, ser[j] "_min") == "") continue
		hv[hk, j, hn[hk]] = kv($0, ser[j] "_min"); hm[hk, j, hn[hk]] = kv($0, ser[j] "_med")
		has[hk, j] = 1
	}
	next
}
/^test=calls / {
	w = kv($0, "what"); calls[w, "units"] = kv($0, "units")
	calls[w, "teo"] = kv($0, "teo"); calls[w, "optw"] = kv($0, "optw"); calls[w, "destroy"] = kv($0, "destroy")
	next
}
/^test=hold / { n = kv($0, "n"); holds[n] = kv($0, "secs"); next }
/^test=haproxy / { next }	# its own line, below
/^test=/ {
	t = kv($0, "test"); v = kv($0, "variant"); r = kv($0, "round") + 0
	x = kv($0, "value") + 0; u = kv($0, "unit")
	if (!((t, v) in cnt)) { order[++no] = t SUBSEP v; cnt[t, v] = 0 }
	vals[t, v, ++cnt[t, v]] = x; byround[t, v, r] = x; unit[t] = u
	if (r > maxround) maxround = r
	next
}
END {
	# ---- per-call costs first: the estimates in the targets table use them
	for (j = 1; j <= 5; j++) base[j] = hmin("absent" SUBSEP (j == 3 ? "new" : "plain"), j)
	u = calls["conn", "units"]; b = calls["bulk1", "units"]
	if (u > 0) { ct = calls["conn", "teo"] / u; co = calls["conn", "optw"] / u; cd = calls["conn", "destroy"] / u }
	if (b > 0) { bt = calls["bulk1", "teo"] / b; bo = calls["bulk1", "optw"] / b }

	put("Guest: " info)
	put("")
	put("Targets. End to end: per-round ratios, median, geometric mean with its 95% confidence interval (t, over rounds);")
	put("verdict \"yes\"/\"no\" only when the whole interval is on one side of the target. Estimate: the per-call costs below")
	put("times the calls counted per connection / per MB, against the CPU time a connection / a MB takes (conn: 2 vCPUs busy;")
	put("bulk: 1 vCPU, which overstates the share), plus for inject=always the 8 option bytes taken from each 1448-byte segment.")
	put("")
	put("| target | end to end: median, gmean (95% CI) | verdict | estimate from per-call costs | verdict |")
	put("|---|---|---|---|---|")
	rc = stat("conn" SUBSEP "absent", "med"); ru = stat("conn" SUBSEP "untagged", "med")
	rb1 = stat("bulk1" SUBSEP "absent", "med"); rb4 = stat("bulk4" SUBSEP "absent", "med")
	e = ""; if (ct != "" && rc > 0 && hok("empty", "plain", 1) && hok("empty", "new", 3))
		e = 1 - (ct * add("empty", "plain", 1) + co * add("empty", "plain", 2) + cd * pos(add("empty", "new", 3))) / (2e9 / rc)
	eb = ""; if (bt != "" && hok("empty", "plain", 1))
		eb = bt * add("empty", "plain", 1) + bo * add("empty", "plain", 2)
	tg("bulk1", "untagged", "bulk1", "absent", 0.99, "untagged bulk, 1 stream: loaded >= 99% of absent", eb == "" || rb1 <= 0 ? "" : 1 - eb / (1e9 / rb1))
	tg("bulk4", "untagged", "bulk4", "absent", 0.99, "untagged bulk, 4 streams: loaded >= 99% of absent", eb == "" || rb4 <= 0 ? "" : 1 - eb / (1e9 / rb4))
	tg("conn", "untagged", "conn", "absent", 0.99, "untagged conn rate: loaded >= 99% of absent", e)
	e = ""; if (ct != "" && ru > 0 && hok("tagged", "tag", 1) && hok("tagged", "newtag", 3))
		e = 1 - (pos(hmin("tagged" SUBSEP "newtag", 3) - hmin("tagged" SUBSEP "new", 3)) + ct / 2 * (hmin("tagged" SUBSEP "tag", 1) - hmin("tagged" SUBSEP "plain", 1)) + co / 2 * pos(hmin("tagged" SUBSEP "tag", 2) - hmin("tagged" SUBSEP "plain", 2))) / (2e9 / ru)
	tg("conn", "tag_hs", "conn", "untagged", 0.97, "tag_hs conn rate >= 97% of untagged", e)
	ea = ""; if (bt != "" && hok("always", "tagdata", 1) && hok("tagged", "plain", 1))
		ea = bt * pos(hmin("always" SUBSEP "tagdata", 1) - hmin("tagged" SUBSEP "plain", 1)) + bo * pos(hmin("always" SUBSEP "tagdata", 2) - hmin("tagged" SUBSEP "plain", 2))
	r1 = stat("bulk1" SUBSEP "untagged", "med"); r4 = stat("bulk4" SUBSEP "untagged", "med")
	tg("bulk1", "tag_always", "bulk1", "untagged", 0.98, "tag_always bulk, 1 stream >= 98% of untagged", ea == "" || r1 <= 0 ? "" : 1 - ea / (1e9 / r1) - 8 / 1448)
	tg("bulk4", "tag_always", "bulk4", "untagged", 0.98, "tag_always bulk, 4 streams >= 98% of untagged", ea == "" || r4 <= 0 ? "" : 1 - ea / (1e9 / r4) - 8 / 1448)
	# flat: the lookup (per call) and the per-connection work of the table at
	# each N against the smallest N measured
	n0 = ""
	for (i = 1; i <= nh; i++) {
		split(horder[i], p, SUBSEP)
		if (p[1] ~ /^scale_/ && p[2] == "tag" && (n0 == "" || substr(p[1], 7) + 0 < n0 + 0)) n0 = substr(p[1], 7)
	}
	for (i = 1; i <= no; i++) {
		split(order[i], p, SUBSEP)
		if (p[1] !~ /^scale_/ || p[2] != "tag_hs") continue
		n = substr(p[1], 7); e = ""; fv = "-"
		if (n0 != "" && hok(p[1], "tag", 1)) {
			x1 = hmin(p[1] SUBSEP "plain", 1) / hmin("scale_" n0 SUBSEP "plain", 1)
			x2 = hmin(p[1] SUBSEP "tag", 1) / hmin("scale_" n0 SUBSEP "tag", 1)
			e = sprintf("cost per call vs %s held: untagged %s, tagged %s (tag + close: %s)", n0,
				pct(x1), pct(x2), pct(hmin(p[1] SUBSEP "newtag", 3) / hmin("scale_" n0 SUBSEP "newtag", 3)))
			fv = x1 <= 1.03 && x2 <= 1.03 ? "yes (lookup)" : "**no** (lookup)"
		}
		tg(p[1], "tag_hs", "conn", "tag_hs", 0.97, "flat: tag_hs conn rate with " n " tagged held >= 97% of none held", e, fv)
	}

	put("")
	put("End to end (the absolute figures are those of TCG; the ratios are the result):")
	put("")
	put("| test | variant | median | min-max | vs absent, per round: median (min-max) | best vs best |")
	put("|---|---|---|---|---|---|")
	for (i = 1; i <= no; i++) {
		split(order[i], p, SUBSEP); t = p[1]; v = p[2]; rt = ref_of(t)
		rm = rstat(t, v, rt, "absent", "med")
		line = sprintf("| %s | %s | %.1f %s | %.1f-%.1f | %s (%s-%s) | %s |", t, v,
			stat(t SUBSEP v, "med"), unit[t], stat(t SUBSEP v, "min"), stat(t SUBSEP v, "max"),
			pct(rm), pct(rstat(t, v, rt, "absent", "min")), pct(rstat(t, v, rt, "absent", "max")),
			stat(rt SUBSEP "absent", "max") > 0 ? pct(stat(t SUBSEP v, "max") / stat(rt SUBSEP "absent", "max")) : "-")
		put(line)
		if (v != "absent")
			printf "%s/%s %.4f %.4f %.4f\n", t, v, rm, rstat(t, v, rt, "absent", "min"), rstat(t, v, rt, "absent", "max") > dat
	}
	put("")
	put("Per call, in ns (TCG): minimum over all samples, added vs module absent, (median of the samples).")
	put("call = tcp_established_options(sk, NULL) called directly (bench/kmod); optw = tcp_options_write with nothing to write;")
	put("sock = socket(), [tag], close() (per-connection work of the table); send0 = send(fd, \"\", 0), one tcp_current_mss() inside a syscall;")
	put("udp = one 1-byte UDP datagram over loopback, sent and received (a packet out and in through IP and the cgroup skb hooks: on 5.10/5.11 the static key the native path holds switches those on too).")
	put("")
	put("| state | socket | call | optw | sock | send0 | udp |")
	put("|---|---|---|---|---|---|---|")
	for (i = 1; i <= nh; i++) {
		split(horder[i], p, SUBSEP)
		line = "| " p[1] " | " p[2]
		for (j = 1; j <= 5; j++) {
			if (!((horder[i], j) in has)) { line = line " | -"; continue }
			c = hmin(horder[i], j)
			line = line sprintf(" | %.0f %+.0f (%.0f)", c, c - base[j], hmed(horder[i], j))
		}
		put(line " |")
	}
	# the per-call panel of the plot: label, call, optw (minimum ns)
	nl = split("absent/plain/absent|empty/plain/none tagged|tagged/plain/untagged (2 tagged)|tagged/tagdata/tagged, no TOA|tagged/tag/tagged, TOA|ebpf/plain/eBPF sender, TOA|scale_100000/plain/untagged (100k)|scale_100000/tag/tagged, TOA (100k)", L, "|")
	for (i = 1; i <= nl; i++) {
		split(L[i], p, "/"); k = p[1] SUBSEP p[2]
		if (!((k, 1) in has)) continue
		o = ((k, 2) in has) ? hmin(k, 2) : 0
		printf "\"%s\" %.1f %.1f\n", p[3], hmin(k, 1), o > hdat
	}
	if (u > 0) {
		put("")
		put(sprintf("Calls per short connection (both ends, kprobe hit counts, module absent): tcp_established_options %.1f, tcp_options_write %.1f, tcp_v4_destroy_sock %.1f.", ct, co, cd))
		if (b > 0)
			put(sprintf("Per MB of bulk (TSO on): tcp_established_options %.1f, tcp_options_write %.1f.", bt, bo))
	}
	if (length(holds)) {
		line = "Holder setup (socket + tag, seconds):"
		for (n in holds) line = line " " n "=" holds[n]
		put(line)
	}
}
function pos(x) { return x > 0 ? x : 0 }
function hok(s, k, j) { return ((s SUBSEP k, j) in has) }
function add(s, k, j) { return hmin(s SUBSEP k, j) - base[j] }
function hmin(k, j,   i, m) {
	m = ""
	for (i = 1; i <= hn[k]; i++) if ((k, j, i) in hv && (m == "" || hv[k, j, i] + 0 < m)) m = hv[k, j, i] + 0
	return m
}
function hmed(k, j,   i, a, n) {
	n = 0
	for (i = 1; i <= hn[k]; i++) if ((k, j, i) in hm) a[++n] = hm[k, j, i] + 0
	return n ? med(a, n) : 0
}
# t quantile (two-sided 95%) for n - 1 degrees of freedom
function tq(df) { return df == 1 ? 12.71 : df == 2 ? 4.30 : df == 3 ? 3.18 : df == 4 ? 2.78 : df == 5 ? 2.57 : df == 6 ? 2.45 : df == 7 ? 2.36 : df == 8 ? 2.31 : df == 9 ? 2.26 : df < 20 ? 2.15 : 2.05 }
# tg T V RT RV GOAL WHAT ESTIMATE [VERDICT]: one target row; ESTIMATE is
# a ratio (judged here) or, with VERDICT given, words shown as they are
function tg(t, v, rt, rv, goal, what, est, text,   m, a, n, i, sl, sq, mean, sd, lo, hi, ci, vd, ev) {
	m = rstat(t, v, rt, rv, "med")
	if (m == "") { put("| " what " | not measured | - | - | - |"); return }
	n = ratios(t, v, rt, rv, a)
	sl = 0; sq = 0
	for (i = 1; i <= n; i++) { a[i] = log(a[i]); sl += a[i] }
	mean = sl / n
	for (i = 1; i <= n; i++) sq += (a[i] - mean) ^ 2
	if (n >= 2) {
		sd = sqrt(sq / (n - 1)); lo = exp(mean - tq(n - 1) * sd / sqrt(n)); hi = exp(mean + tq(n - 1) * sd / sqrt(n))
		ci = sprintf("%s (%s-%s)", pct(exp(mean)), pct(lo), pct(hi))
		vd = lo >= goal ? "yes" : hi < goal ? "**no**" : "cannot tell"
	} else {
		ci = pct(exp(mean)) " (1 round)"; vd = "cannot tell"
	}
	if (text != "") ev = (est == "" ? "-" : est) " | " text
	else if (est == "") ev = "- | -"
	else ev = sprintf("%s | %s", pct(est), est >= goal ? "yes" : "**no**")
	put(sprintf("| %s | %s, %s | %s | %s |", what, pct(m), ci, vd, ev))
}
' "$run/raw.txt"

# HAProxy with libsdp_toa_transparent.so and "usesrc clientip" against the
# same HAProxy without either: connection rates, per-round ratio
awk '
function kv(line, key,   m) {
	if (match(line, "(^| )" key "=[^ ]*")) {
		m = substr(line, RSTART, RLENGTH); sub(/^ /, "", m)
		return substr(m, length(key) + 2)
	}
	return ""
}
/^test=haproxy / {
	r = kv($0, "round"); v = kv($0, "variant")
	s = kv($0, "secs"); c = kv($0, "conns")
	if (s > 0) rate[v, r] = c / s
	if (r > nr) nr = r
}
END {
	n = 0
	for (r = 1; r <= nr; r++)
		if (("plain", r) in rate && ("tproxy", r) in rate && rate["plain", r] > 0) {
			q[++n] = rate["tproxy", r] / rate["plain", r]
			sp += rate["plain", r]; st += rate["tproxy", r]
		}
	if (!n) exit
	for (i = 2; i <= n; i++) { t = q[i]; for (j = i - 1; j > 0 && q[j] > t; j--) q[j + 1] = q[j]; q[j + 1] = t }
	m = n % 2 ? q[(n + 1) / 2] : (q[n / 2] + q[n / 2 + 1]) / 2
	printf "\nHAProxy 2.6 (mode tcp), connection rate with libsdp_toa_transparent.so and `usesrc clientip` against the same HAProxy without either, %d round(s): %.1f%% (min %.1f%%, max %.1f%%; %.0f vs %.0f connections/s on average), target >= 97%%.\n", n, 100 * m, 100 * q[1], 100 * q[n], st / n, sp / n
}' "$run/raw.txt" >>"$run/table.md"

echo
cat "$run/table.md"
cat "$run/machine.txt"

# ---- plot
if command -v gnuplot >/dev/null; then
	bench/plot.sh "$run/plot.dat" "$run/bench.png" "$run/hook.dat" >"$run/plot.log" 2>&1 ||
		echo "bench: plot failed (see $run/plot.log)"
else
	echo "bench: no gnuplot: no plot (apt-get install gnuplot-nox)"
fi
ln -sfn "$(basename "$run")" "$BUILD_DIR/bench/latest"

if [[ ${BENCH_UPDATE_DOCS:-0} == 1 ]]; then
	doc=docs/BENCHMARKS.md
	[[ -f $run/bench.png ]] && cp "$run/bench.png" docs/bench.png
	if [[ -f $doc ]] && grep -q '<!-- bench:begin -->' "$doc"; then
		{
			sed '/<!-- bench:begin -->/q' "$doc"
			echo
			echo "Run of $(date -u -r "$run/console.log" '+%Y-%m-%d %H:%M UTC')," \
			     "$(sed -n 's/^info .*rounds=\([0-9]*\).*/\1/p' "$run/raw.txt" | head -n 1)" \
			     "rounds in one boot."
			echo
			cat "$run/table.md"
			echo
			sed 's/^/    /' "$run/machine.txt"
			echo
			sed -n '/<!-- bench:end -->/,$p' "$doc"
		} >"$doc.tmp" && mv "$doc.tmp" "$doc"
		echo "bench: updated $doc and docs/bench.png"
	else
		echo "bench: $doc has no bench:begin/end markers; not updated"
	fi
fi
echo "bench: results in $run (raw.txt, table.md, bench.png)"
