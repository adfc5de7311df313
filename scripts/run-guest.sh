#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-guest.sh: build the initramfs, boot the Debian kernel under QEMU, run
# tests/integration/*.sh inside (scripts/guest-init.sh), and judge.
#
# Prints one line per guest test, "PASS <name>" or "FAIL <name>: <why>",
# then "PASS dmesg-clean" or "FAIL dmesg-clean: ..."; exits non-zero if
# anything failed.  Other lines are progress and details.
#
# Environment:
#   MODULE_KO       module to test (default: ./sdp_toa.ko)
#   KIMAGE          kernel image (default: /boot/vmlinuz-<vermagic of module>)
#   GUEST_APPEND    extra kernel command line, e.g. "sdptoa.only=smoke
#                   sdptoa.test_timeout=60"
#   GUEST_TIMEOUT   seconds before qemu is killed (default: the sum of the
#                   tests' own limits, see guest_limit)
#   GUEST_LOGLEVEL  console loglevel (default 5: warnings and worse)
#   VM_ACCEL        tcg (default): TCG with both vCPUs on one host thread
#                   (-accel tcg,thread=single); tcg-mt: multi-threaded TCG,
#                   faster on an idle host but, in QEMU 7.2, a vCPU can keep
#                   running code another vCPU has just patched (text_poke:
#                   ftrace/kprobe (un)registration under traffic), which
#                   hangs or crashes the guest kernel with no module loaded
#                   at all (docs/DESIGN.md, "Testing under QEMU"); kvm: KVM
#                   (hangs on our machines)
#   VERBOSE=1       echo the whole console while it runs
#   BUILD_DIR       where runs go (default: build/ of this tree)
#   GUEST_MEM       guest RAM, qemu -m syntax (default 1024M; make bench: 3G)
#   GUEST_ARCH      x86_64 (default; amd64 too) or arm64: qemu-system-aarch64
#                   -M virt, console ttyAMA0
#   GUEST_MODROOT   root holding the guest kernel's boot/ and lib/modules/
#                   (default /); GUEST_SYSROOT: a foreign userland
#                   (mkinitramfs.sh); scripts/guest-kernel.sh prints both
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# The whole guest's limit: at least the sum of what its tests may take
# (guest-init.sh kills each test at its own limit: sdptoa.test_timeout=,
# default 300 s, or its "# test-timeout:" line if higher), plus boot, so
# that a slow run ends in the tests' own verdicts and the dmesg dump, not
# in qemu being killed. A hung kernel still ends at this limit.
guest_limit() {
	local per=300 only= a t lim sum=60 n
	for a in ${GUEST_APPEND:-}; do
		case $a in
		sdptoa.test_timeout=*) per=${a#*=} ;;
		sdptoa.only=*) only=${a#*=} ;;
		esac
	done
	for t in "${TESTS_SRC:-$ROOT/tests}"/integration/*.sh; do
		[[ -f $t ]] || continue
		n=$(basename "$t" .sh)
		[[ $n == *"$only"* ]] || continue
		lim=$(sed -n 's/^# test-timeout: *\([0-9][0-9]*\)$/\1/p' "$t")
		[[ -n $lim && $lim -gt $per ]] || lim=$per
		sum=$((sum + lim + 10))	# + the cleanup between tests
	done
	echo "$sum"
}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-$(guest_limit)}
GUEST_LOGLEVEL=${GUEST_LOGLEVEL:-5}

fail_early() { echo "FAIL guest: $*"; exit 1; }

[[ -f $MODULE_KO ]] || fail_early "no module at $MODULE_KO (run make first)"
ver=$(guest_release) || fail_early "cannot tell which kernel to boot"
KIMAGE=${KIMAGE:-${GUEST_MODROOT:-}/boot/vmlinuz-$ver}
# Debian installs vmlinuz mode 0600: only root can boot it as is.
[[ -r $KIMAGE ]] || fail_early "cannot read kernel image $KIMAGE (install linux-image-$ver, run as root, or set KIMAGE=)"
case ${GUEST_ARCH:-x86_64} in
arm64|aarch64)
	qemu=(qemu-system-aarch64 -M virt)
	console=ttyAMA0 ;;
*)	qemu=(qemu-system-x86_64)
	console=ttyS0 ;;
esac
command -v "${qemu[0]}" >/dev/null || fail_early "${qemu[0]} missing (make deps, or scripts/guest-kernel.sh arm64)"

# One directory per run: teammates boot guests from the same tree at the
# same time.  Keep the 20 newest.
mkdir -p "$BUILD_DIR/guest"
run=$BUILD_DIR/guest/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run"
ls -1dt "$BUILD_DIR"/guest/*/ 2>/dev/null | tail -n +21 | xargs -r rm -rf
log=$run/console.log
initrd=$run/initramfs.cpio.gz

t0=$(date +%s)
GUEST_KERNELRELEASE=$ver "$ROOT/scripts/mkinitramfs.sh" "$initrd" ||
	fail_early "building the initramfs failed"

case ${VM_ACCEL:-tcg} in
kvm)    accel=(-accel kvm -cpu max) ;;
tcg-mt) accel=(-accel tcg,thread=multi -cpu max) ;;
tcg)    accel=(-accel tcg,thread=single -cpu max) ;;
*)      fail_early "VM_ACCEL=$VM_ACCEL: tcg, tcg-mt or kvm" ;;
esac

# panic=-1 + -no-reboot: any panic ends qemu at once instead of hanging.
# *_panic / oops=panic / panic_on_warn: turn every kernel complaint into a
# panic, so it cannot go unnoticed.  panic_print=0x20 replays the whole
# kernel log on panic (the init's dmesg dump never happens then).
append="console=$console rdinit=/init panic=-1 panic_on_warn=1 oops=panic"
append+=" softlockup_panic=1 hung_task_panic=1 sysctl.kernel.panic_on_rcu_stall=1"
append+=" panic_print=0x20"
append+=" loglevel=$GUEST_LOGLEVEL printk.time=1 log_buf_len=4M"
append+=" ${GUEST_APPEND:-}"

echo "guest: kernel $KIMAGE, log $log"
t1=$(date +%s)
# --foreground: keep qemu in our process group so ^C reaches it.
# stdin from /dev/null: qemu leaves the terminal alone.
timeout --foreground -k 10 "$GUEST_TIMEOUT" \
	"${qemu[@]}" "${accel[@]}" -smp 2 -m "${GUEST_MEM:-1024M}" -nic none \
	-no-reboot -nographic -kernel "$KIMAGE" -initrd "$initrd" \
	-append "$append" </dev/null 2>&1 |
	sed -u 's/\r$//' | tee "$log" |
	while IFS= read -r line; do
		if [[ ${VERBOSE:-} == 1 ]]; then
			echo "  | $line"
		elif [[ $line == *"@@SDPTOA RESULT "* ]]; then
			echo "guest: ${line#*@@SDPTOA RESULT }"
		fi
	done
qrc=${PIPESTATUS[0]}
t2=$(date +%s)
rm -f "$initrd"
echo "guest: initramfs $((t1 - t0))s, qemu $((t2 - t1))s (exit $qrc), log $log"

failed=0

# Per-test verdicts.  A test the guest began but never finished (panic,
# hang) and tests it never reached are failures too.
awk '
{
	i = index($0, "@@SDPTOA ")
	if (i == 0) {
		if (cur != "" && $0 != "") {
			ring[cur, n[cur] % 10] = $0; n[cur]++
			# The lines that say why, wherever they are.
			if ($0 ~ /FAIL|not ok|[Ee]rror|Killed|Segmentation/ && nk[cur] < 5)
				key[cur, nk[cur]++] = $0
		}
		next
	}
	nf = split(substr($0, i + 9), f, " ")
	if (f[1] == "PLAN") {
		for (k = 2; k <= nf; k++) plan[++np] = f[k]
	} else if (f[1] == "BEGIN") {
		cur = f[2]; began[cur] = 1; n[cur] = 0; nk[cur] = 0
	} else if (f[1] == "RESULT") {
		res[f[2]] = f[3]; why[f[2]] = f[4] (nf >= 5 ? " " f[5] : ""); cur = ""
		if (f[3] == "SKIP") {
			why[f[2]] = ""
			for (k = 4; k <= nf; k++) why[f[2]] = why[f[2]] (k > 4 ? " " : "") f[k]
		}
	} else {
		cur = ""
	}
}
function tail_of(t,   k, s) {
	for (k = 0; k < nk[t]; k++) print "    ! " key[t, k]
	s = n[t] > 10 ? n[t] - 10 : 0
	for (k = s; k < n[t]; k++) print "    | " ring[t, k % 10]
}
END {
	for (k = 1; k <= np; k++) {
		t = plan[k]
		if (res[t] == "PASS") { print "PASS " t; continue }
		if (res[t] == "SKIP") { print "SKIP " t ": " why[t]; continue }
		if (res[t] == "FAIL")
			print "FAIL " t ": " why[t] "; last output:"
		else if (began[t])
			print "FAIL " t ": guest died or hung during this test; last output:"
		else { print "FAIL " t ": not run (guest died before it)"; continue }
		tail_of(t)
	}
}' "$log" | tee "$run/results"
grep -q '^FAIL ' "$run/results" && failed=1

if ! grep -q '@@SDPTOA DONE' "$log"; then
	if ((qrc == 124 || qrc == 137)); then
		why="timed out after ${GUEST_TIMEOUT}s"
	else
		why="qemu exited $qrc"
	fi
	echo "FAIL guest: guest hung or panicked ($why); last 40 console lines:"
	tail -n 40 "$log" | sed 's/^/    | /'
	failed=1
elif ! grep -q '^PASS \|^FAIL \|^SKIP ' "$run/results"; then
	echo "FAIL guest: no test ran (no tests/integration/*.sh, or sdptoa.only= matched none)"
	failed=1
fi

# Kernel complaints.  Only kernel lines count (they carry a printk
# timestamp, "[   12.345678]", on the console and in the dmesg dump), so a
# test that prints "WARNING:" itself does not trip this.
bad='BUG:|WARNING:|Oops|general protection|KASAN|lockdep|possible circular locking'
bad+='|RCU stall|rcu_sched detected stall|rcu: INFO|Call Trace|[Kk]ernel panic'
# Boot banners of debug kernels (make check-debug) that only name a checker.
benign='RCU lockdep checking is enabled'
grep -E '\[ *[0-9]+\.[0-9]+\]' "$log" | grep -E "$bad" | grep -vE "$benign" |
	sed 's/^.*\(\[ *[0-9][0-9]*\.[0-9]*\]\)/\1/' | awk '!seen[$0]++' >"$run/dmesg-bad"
if [[ -s $run/dmesg-bad ]]; then
	echo "FAIL dmesg-clean: $(wc -l <"$run/dmesg-bad") suspicious kernel lines:"
	head -n 40 "$run/dmesg-bad" | sed 's/^/    | /'
	failed=1
else
	echo "PASS dmesg-clean"
fi

exit $failed
