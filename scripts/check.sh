#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: everything "make check" tests, in order:
#   deps, unit tests, W=1 -Werror module build, checkpatch, static test
#   programs, guest integration tests (+ dmesg-clean), a one-round make
#   bench smoke (runs, never judged on figures), packaging tests.
# Every test prints "PASS <name>", "FAIL <name>: <why>" or, for a test that
# does not apply here, "SKIP <name>: <why>"; a failing step does not stop
# the run.  The last line is "N passed, N failed, N skipped"; the exit
# status is non-zero if anything failed.
#
# Environment: CHECKPATCH_STRICT=0 lets checkpatch --strict CHECKs pass
# (shown, not counted); VERBOSE=1 streams every step's output; anything
# run-guest.sh reads.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

logs=$BUILD_DIR/check
mkdir -p "$logs"
npass=0
nfail=0
nskip=0

# step NAME CMD...: run CMD with its output in $logs/NAME.log; returns its
# status.  VERBOSE=1 also shows the output as it comes.
step() {
	local name=$1 log=$logs/$1.log rc
	shift
	echo "== $name: $*"
	if [[ ${VERBOSE:-} == 1 ]]; then
		"$@" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		"$@" >"$log" 2>&1
		rc=$?
	fi
	return "$rc"
}

# ---- 1. deps
if step deps scripts/deps.sh; then
	pass deps
else
	fail deps "scripts/deps.sh failed"
	show_tail "$logs/deps.log" 10
fi

# The Makefile that started us resolved KDIR before deps could install any
# headers; when it chose them itself (no KDIR/KERNELRELEASE from the user),
# resolve again now.
if [[ ${SDP_TOA_KDIR_AUTO:-} == 1 && ! -f ${KDIR:-/nonexistent}/Makefile ]]; then
	unset KDIR KERNELRELEASE
fi
resolve_kernel
echo "== kernel: KDIR=${KDIR:-?} KERNELRELEASE=${KERNELRELEASE:-?}"

# ---- 2. unit tests (tests/Makefile, a teammate's)
# Counted per cmocka test when the output is cmocka's; otherwise as one.
if [[ ! -f tests/Makefile ]]; then
	fail unit "tests/Makefile missing"
else
	step unit make -C tests unit
	rc=$?
	# "[ RUN      ] t" then "[       OK ] t" or "[  SKIPPED ] t"; a RUN
	# with neither (failed or crashed) is a failure.
	awk '
	function close_run() { if (cur != "") print "FAIL unit:" cur; cur = "" }
	/^\[ RUN +\] /          { close_run(); cur = $NF; next }
	/^\[ +OK +\] /          { if (cur != "") print "PASS unit:" cur; cur = ""; next }
	/^\[ +SKIPPED +\] /     { cur = ""; next }
	END { close_run() }' "$logs/unit.log" >"$logs/unit.results"
	counted=0
	failed=0
	while read -r verdict name; do
		counted=1
		if [[ $verdict == PASS ]]; then
			pass "$name"
		else
			fail "$name" "see $logs/unit.log"
			failed=1
		fi
	done <"$logs/unit.results"
	if ((rc != 0 && failed == 0)); then
		# A build error, or a failure outside any cmocka test.
		fail unit "make -C tests unit exited $rc"
	elif ((counted == 0)); then
		pass unit
	fi
	if ((rc != 0)); then show_tail "$logs/unit.log"; fi
fi

# ---- 3. the module, W=1 and -Werror
module_ok=0
if step build-W1 make --no-print-directory W1; then
	pass build-W1
	module_ok=1
else
	fail build-W1 "W=1 WERROR=1 build failed"
	grep -E 'error|warning' "$logs/build-W1.log" | head -n 20 | sed 's/^/    | /'
	show_tail "$logs/build-W1.log" 10
fi

# ---- 4. checkpatch
# From the Debian linux-source tarball, into a cache outside the tree
# (never into the repo).  --no-tree: no kernel tree around the files.
checkpatch_prepare() {
	local tb cache key tmp
	tb=$(ls -1 /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
	[[ -n $tb ]] || { echo "no /usr/src/linux-source-*.tar.xz (make deps)"; return 1; }
	cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/sdp_toa
	key=$(basename "$tb" .tar.xz)-$(stat -c %s-%Y "$tb")
	CHECKPATCH=$cache/$key/checkpatch.pl
	[[ -f $CHECKPATCH ]] && return 0
	echo "extracting checkpatch from $tb into $cache/$key"
	mkdir -p "$cache" || return 1
	tmp=$(mktemp -d "$cache/tmp.XXXXXX") || return 1
	# Three small members, but xz still has to read the whole tarball.
	if tar -xJf "$tb" -C "$tmp" --strip-components=2 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' &&
	   [[ -f $tmp/checkpatch.pl ]]; then
		rm -rf "${cache:?}/$key"
		mv "$tmp" "$cache/$key"
	else
		rm -rf "$tmp"
		return 1
	fi
}
# Our sources: top-level and recv/ *.c *.h, not kbuild's generated *.mod.c.
srcs=()
for f in *.c *.h recv/*.c recv/*.h; do
	[[ -f $f && $f != *.mod.c ]] && srcs+=("$f")
done
if ! step checkpatch-setup checkpatch_prepare; then
	fail checkpatch "cannot get checkpatch.pl"
	show_tail "$logs/checkpatch-setup.log" 5
elif ((${#srcs[@]} == 0)); then
	fail checkpatch "no *.c / *.h at the top of the tree"
else
	# --strict, as mainline net/ uses it: the tree is clean that way.
	# CHECKPATCH_STRICT=0 lowers the bar to ERRORs and WARNINGs.
	gate='ERROR|WARNING|CHECK'
	[[ ${CHECKPATCH_STRICT:-1} == 0 ]] && gate='ERROR|WARNING'
	# Per-file exceptions, kept as narrow as possible.  compat.h is the
	# one home of kernel version tests (style: WireGuard's compat.h), so
	# "avoid LINUX_VERSION_CODE" and its "constant on the right" side
	# effect cannot apply there; its typedefs name types that differ by
	# kernel version (ftrace callback regs, sockopt value pointer).
	declare -A cp_ignore=(
		[compat.h]="LINUX_VERSION_CODE,CONSTANT_COMPARISON,NEW_TYPEDEFS"
	)
	for f in "${srcs[@]}"; do
		out=$logs/checkpatch-${f//\//_}.log
		ignore=()
		[[ -n ${cp_ignore[$f]:-} ]] && ignore=(--ignore "${cp_ignore[$f]}")
		perl "$CHECKPATCH" --no-tree -f --terse --show-types --strict \
			"${ignore[@]}" "$f" >"$out" 2>&1
		rc=$?
		bad=$(grep -cE "^$f:[0-9]+: ($gate):" "$out")
		checks=$(grep -cE "^$f:[0-9]+: CHECK:" "$out")
		if ((bad > 0)); then
			fail "checkpatch:$f" "$bad problem(s)"
			grep -E "^$f:[0-9]+: ($gate):" "$out" | head -n 20 | sed 's/^/    | /'
		elif ((rc != 0 && checks == 0)); then
			# Exit 1 with nothing reported, or perl dying (a module
			# missing, ...): checkpatch itself did not work.
			fail "checkpatch:$f" "checkpatch.pl exited $rc"
			show_tail "$out" 5
		else
			pass "checkpatch:$f"
			((checks > 0)) && echo "    ($checks --strict CHECK(s), see $out)"
		fi
	done
fi

# ---- 5. programs the guest tests run: tests/bin, examples/bin, user/bin
for d in examples user tests; do
	if [[ ! -f $d/Makefile ]]; then
		fail "$d-build" "$d/Makefile missing"
	elif step "$d-build" make -C "$d"; then
		pass "$d-build"
	else
		fail "$d-build" "make -C $d failed"
		show_tail "$logs/$d-build.log" 20
	fi
done

# ---- 6. guest integration tests
if ((module_ok == 0)); then
	# Never boot a stale sdp_toa.ko from an earlier build.
	fail guest "skipped: the module did not build"
else
	echo "== guest: scripts/run-guest.sh"
	# Progress now; verdicts (and the detail lines under them) below.
	scripts/run-guest.sh 2>&1 | tee "$logs/guest.log" | grep -v '^PASS \|^FAIL \|^    '
	tally "$logs/guest.log" guest "${PIPESTATUS[0]}"
fi

# ---- 6b. make bench runs (one quick round; its figures never fail CI)
if ((module_ok == 0)); then
	fail bench-smoke "skipped: the module did not build"
elif step bench-smoke env BENCH_QUICK=1 MODULE_KO="$ROOT/sdp_toa.ko" \
		scripts/bench.sh &&
     grep -q '^| conn | tag_hs |' "$logs/bench-smoke.log" &&
     grep -q '^| absent | plain |' "$logs/bench-smoke.log"; then
	pass bench-smoke
else
	fail bench-smoke "make bench (BENCH_QUICK=1) did not produce its table"
	show_tail "$logs/bench-smoke.log" 20
fi

# ---- 7. packaging: DKMS, DEB, RPM end to end (packaging/test.sh, ~2 min)
if [[ ${SDP_TOA_SKIP_PACKAGING:-0} == 1 ]]; then
	echo "== packaging: skipped (SDP_TOA_SKIP_PACKAGING=1)"
else
	echo "== packaging: packaging/test.sh"
	packaging/test.sh >"$logs/packaging.log" 2>&1
	tally "$logs/packaging.log" packaging $?
fi

summary
((nfail == 0))
