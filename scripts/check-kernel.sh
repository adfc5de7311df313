#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-kernel.sh [FLAVOUR...]
#
# make check's module and guest parts against another kernel: the W=1
# -Werror build, the static test programs, and the whole integration suite
# booted on that kernel under QEMU (TCG).  Same verdict lines as make check,
# same last line "N passed, N failed, N skipped".
#
#   FLAVOUR   a Debian 12 kernel flavour scripts/guest-kernel.sh fetches:
#             arm64, cloud-amd64, rt-amd64 (make check-arm64, check-matrix)
#   none      the kernel the environment names (make check-kernel):
#             KDIR=<build tree> KIMAGE=<bootable image>, GUEST_MODROOT=<root
#             of its lib/modules/, e.g. INSTALL_MOD_PATH of modules_install>,
#             and for arm64 ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
#             GUEST_SYSROOT=<arm64 userland> (see guest-kernel.sh arm64)
#
# The module and the programs are built in build/kernel-<release>/, never
# in the tree (the tree's sdp_toa.ko stays the host kernel's).  Timings per
# flavour are printed.  Environment: anything run-guest.sh reads.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

npass=0
nfail=0
nskip=0


# check_one TAG: the environment names the kernel (KDIR, KIMAGE, ...).
check_one() {
	local tag=$1 rel out logs cc t0 rc arch stag kpahole hpahole othercc
	t0=$(date +%s)
	rel=$(scripts/kdir.sh --release "$KDIR" 2>/dev/null) || {
		fail "$tag:kernel" "no configured kernel tree at KDIR=${KDIR:-}"
		return
	}
	arch=${ARCH:-x86_64}
	out=$BUILD_DIR/kernel-$rel
	logs=$out/logs
	rm -rf "$out/src"
	mkdir -p "$out/src" "$logs"
	echo "== $tag: kernel $rel ($arch), KDIR=$KDIR"

	# ---- the module, W=1 -Werror, from a copy of the sources
	mkdir -p "$out/src/recv"
	cp ./*.c ./*.h Makefile VERSION "$out/src/"
	cp recv/*.c recv/*.h "$out/src/recv/"
	rm -f "$out/src"/*.mod.c "$out/src"/recv/*.mod.c
	# Debian headers name the compiler their kernel was built with
	# (gcc-10 for bullseye); without it, this machine's gcc builds the
	# module (one more row of docs/COMPATIBILITY.md, not a user's setup).
	kcc=()
	othercc=0
	want=$(sed -n 's/^CC = .*\(gcc-[0-9][0-9]*\)$/\1/p' "$KDIR/.kernelvariables" 2>/dev/null)
	if [[ -n $want ]] && ! command -v "${CROSS_COMPILE:-}$want" >/dev/null; then
		echo "== $tag: no ${CROSS_COMPILE:-}$want here: building with ${CROSS_COMPILE:-}gcc"
		kcc=(CC="${CROSS_COMPILE:-}gcc")
		othercc=1
		# A kernel built by a newer gcc (sid: gcc-16) has its flags
		# in .config: one this gcc lacks is a hard error, so fall
		# back to -falign-functions the way Kconfig would have.
		if grep -qx 'CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=y' "$KDIR/.config" &&
		   ! "${CROSS_COMPILE:-}gcc" -fmin-function-alignment=16 -x c \
			-c -o /dev/null /dev/null 2>/dev/null; then
			echo "== $tag: ${CROSS_COMPILE:-}gcc has no -fmin-function-alignment: CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT="
			kcc+=(CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=)
		fi
	fi
	# The module's BTF needs the pahole the kernel was built with or newer
	# (sid's wants 1.32 options); without it, no BTF for the module.
	kpahole=$(sed -n 's/^CONFIG_PAHOLE_VERSION=//p' "$KDIR/.config" 2>/dev/null)
	hpahole=$(pahole --version 2>/dev/null | tr -dc 0-9)
	if grep -qx 'CONFIG_DEBUG_INFO_BTF_MODULES=y' "$KDIR/.config" &&
	   ((${kpahole:-0} > ${hpahole:-0})); then
		echo "== $tag: pahole ${hpahole:-none} here, kernel's is $kpahole: module without BTF"
		kcc+=(CONFIG_DEBUG_INFO_BTF_MODULES=)
	fi
	if make -C "$KDIR" M="$out/src" ${ARCH:+ARCH=$ARCH} \
		${CROSS_COMPILE:+CROSS_COMPILE=$CROSS_COMPILE} "${kcc[@]}" \
		W=1 WERROR=1 modules >"$logs/build-W1.log" 2>&1; then
		pass "$tag:build-W1"
	else
		fail "$tag:build-W1" "W=1 WERROR=1 build against $KDIR failed"
		grep -E 'error|warning' "$logs/build-W1.log" | head -n 20 | sed 's/^/    | /'
		# With another gcc than the kernel's, its headers may use
		# what this gcc only warns about (gcc 12 and sid's counted_by):
		# the W=1 verdict stands, and a plain build still boots.
		((othercc)) || return
		if make -C "$KDIR" M="$out/src" ${ARCH:+ARCH=$ARCH} \
			${CROSS_COMPILE:+CROSS_COMPILE=$CROSS_COMPILE} "${kcc[@]}" \
			modules >"$logs/build.log" 2>&1; then
			pass "$tag:build-plain (${CROSS_COMPILE:-}gcc, not $want: without W=1 -Werror)"
		else
			fail "$tag:build" "plain build against $KDIR failed too"
			show_tail "$logs/build.log"
			return
		fi
	fi

	# ---- guest programs, for the guest's architecture
	cc=cc
	[[ -n ${CROSS_COMPILE:-} ]] && cc=${CROSS_COMPILE}gcc
	rm -rf "$out/tests" "$out/examples" "$out/user"
	mkdir -p "$out/tests" "$out/examples" "$out/user"
	ln -s "$ROOT/tests/integration" "$out/tests/integration"
	ln -s "$ROOT/tests/guest" "$out/tests/guest"
	for d in tests examples user; do
		if [[ ! -f $d/Makefile ]]; then
			continue
		elif make -C "$d" CC="$cc" BIN="$out/$d/bin" >"$logs/$d-build.log" 2>&1; then
			pass "$tag:$d-build"
		else
			fail "$tag:$d-build" "make -C $d CC=$cc failed"
			show_tail "$logs/$d-build.log"
		fi
	done

	# ---- the integration suite in the guest
	echo "== $tag: scripts/run-guest.sh"
	MODULE_KO=$out/src/sdp_toa.ko GUEST_ARCH=$arch \
		TESTS_SRC=$out/tests EXAMPLES_SRC=$out/examples \
		USER_SRC=$out/user \
		BUILD_DIR=$out scripts/run-guest.sh 2>&1 | tee "$logs/guest.log" |
		grep -v '^PASS \|^FAIL \|^    '
	rc=${PIPESTATUS[0]}
	# Verdicts carry the tag, so one matrix run names every kernel.  The
	# tag may be SUITE/ARCH: escape '/' (and '&', '\') for sed.
	stag=$(printf '%s' "$tag" | sed 's/[/&\\]/\\&/g')
	sed -i "s/^\(PASS\|FAIL\) /\1 $stag:/" "$logs/guest.log"
	tally "$logs/guest.log" "$tag:guest" "$rc"
	echo "== $tag: $(($(date +%s) - t0))s in all"
}

mkdir -p "$BUILD_DIR"
# What the host needs whatever the kernel (busybox-static, cpio, kmod, ...).
if scripts/deps.sh >"$BUILD_DIR/check-kernel-deps.log" 2>&1; then
	pass deps
else
	fail deps "scripts/deps.sh failed"
	show_tail "$BUILD_DIR/check-kernel-deps.log" 10
fi

if (($# == 0)); then
	[[ -n ${KDIR:-} ]] || die "KDIR= (and KIMAGE=) name the kernel, or give a flavour"
	check_one "${KERNELRELEASE:-custom}"
else
	for flavour; do
		# Each flavour brings its own KDIR, KIMAGE, GUEST_* (and ARCH,
		# CROSS_COMPILE for arm64); nothing leaks into the next one.
		env_lines=$(scripts/guest-kernel.sh "$flavour") || {
			fail "$flavour:deps" "scripts/guest-kernel.sh $flavour failed"
			continue
		}
		(
			npass=0 nfail=0 nskip=0
			unset ARCH CROSS_COMPILE GUEST_SYSROOT KIMAGE
			while read -r line; do export "${line?}"; done <<<"$env_lines"
			check_one "$flavour"
			echo "$npass $nfail $nskip" >"$BUILD_DIR/.check-kernel.$$"
		)
		read -r p f k <"$BUILD_DIR/.check-kernel.$$" || { p=0; f=1; k=0; }
		rm -f "$BUILD_DIR/.check-kernel.$$"
		npass=$((npass + p))
		nfail=$((nfail + f))
		nskip=$((nskip + k))
	done
fi

summary
((nfail == 0))
