#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test guest (busybox sh, PID 1).  Runs every
# /tests/integration/*.sh, brackets each with markers that
# scripts/run-guest.sh parses, dumps dmesg and powers off.
#
# Kernel command line knobs (read from /proc/cmdline: the kernel keeps
# dotted words for itself and does not pass them to init):
#   sdptoa.only=SUBSTR        run only tests whose name contains SUBSTR
#   sdptoa.test_timeout=SECS  per-test limit (default 300; a test whose
#                             file has a line "# test-timeout: SECS" gets
#                             at least that)
#
# Markers (each on its own line):
#   @@SDPTOA PLAN name...   @@SDPTOA BEGIN name
#   @@SDPTOA RESULT name PASS | SKIP reason | FAIL exit=N [timeout=SECS | rmmod-failed]
#   @@SDPTOA DMESG BEGIN / END   @@SDPTOA DONE
#
# Never "exit": PID 1 exiting panics the kernel.  No "set -e" either.

export PATH=/bin:/opt/tools
export HOME=/root
mount -t devtmpfs devtmpfs /dev
# Everything goes to the serial console; tests never read it.  (Only now:
# the archive has /dev/console but no /dev/null, and a failed redirection
# would end this shell, i.e. panic the kernel.)
exec </dev/null >/dev/console 2>&1

mark() { echo "@@SDPTOA $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# "ip netns add" bind-mounts namespaces under /var/run/netns (/var/run ->
# /run here) and makes that directory a shared mount itself.
mkdir -p /run/netns
mount -t tmpfs -o mode=0755 netns /run/netns
hostname guest
ip link set lo up

only=
tlimit=300
for arg in $(cat /proc/cmdline); do
	case $arg in
	sdptoa.only=*)		only=${arg#*=} ;;
	sdptoa.test_timeout=*)	tlimit=${arg#*=} ;;
	esac
done

# Modules the tests use, and whatever our module depends on.  modprobe
# (busybox) reads the modules.dep that mkinitramfs generated.
for m in veth $(cat /lib/sdp_toa/deps 2>/dev/null); do
	modprobe "$m" || insmod "/lib/modules-extra/$m.ko" ||
		echo "init: cannot load $m"
done

# Shared by the tests (tests/guest/lib.sh may rely on these).
export SDPTOA_KO=/lib/sdp_toa/sdp_toa.ko
export SDPTOA_TESTS=/tests
export IP=/opt/iproute2/ip TC=/opt/iproute2/tc SS=/opt/iproute2/ss

# Undo what a test left behind, so the next one starts clean.
cleanup() {
	# Leftover processes (servers in the background, a timed-out test's
	# children): everything but us and kernel threads (no exe link).
	# They die asynchronously: give them up to 5 s to release sockets.
	i=0
	while [ $i -lt 10 ]; do
		left=0
		for d in /proc/[0-9]*; do
			p=${d#/proc/}
			[ "$p" = 1 ] && continue
			[ -e "$d/exe" ] || continue
			kill -9 "$p" 2>/dev/null && left=1
		done
		[ $left = 0 ] && break
		wait	# reap what we can (PID 1 inherits orphans)
		sleep 0.5
		i=$((i + 1))
	done
	# A module that cannot be unloaded after a test (leaked reference,
	# stuck hook) fails that test.  Retry briefly: sockets of the killed
	# processes may still be on their way out.
	unload=ok
	for m in sdp_toa_recv sdp_toa; do
		i=0
		while [ -d /sys/module/$m ]; do
			rmmod $m 2>/dev/null && break
			i=$((i + 1))
			if [ $i -ge 10 ]; then
				rmmod $m	# once more, to show why
				unload=failed
				echo "init: rmmod $m failed"
				break
			fi
			sleep 0.5
		done
	done
	for ns in $($IP netns list 2>/dev/null | cut -d' ' -f1); do
		$IP netns del "$ns"
	done
	for l in $($IP -o link show type veth 2>/dev/null | cut -d: -f2 | cut -d@ -f1); do
		$IP link del "$l" 2>/dev/null
	done
}

plan=
for t in /tests/integration/*.sh; do
	[ -f "$t" ] || continue
	name=${t##*/}
	name=${name%.sh}
	case $name in *"$only"*) plan="$plan $name" ;; esac
done
mark "PLAN$plan"

for name in $plan; do
	mark "BEGIN $name"
	start=$(cut -d. -f1 /proc/uptime)
	# Own working dir; KILL because a test's sh may trap TERM.
	mkdir -p "/tmp/$name"
	lim=$(sed -n 's/^# test-timeout: *\([0-9][0-9]*\)$/\1/p' "/tests/integration/$name.sh")
	[ -n "$lim" ] && [ "$lim" -gt "$tlimit" ] || lim=$tlimit
	(cd "/tmp/$name" && exec timeout -s KILL "$lim" sh "/tests/integration/$name.sh")
	rc=$?
	took=$(($(cut -d. -f1 /proc/uptime) - start))
	cleanup
	# Newline first: the test's last line may lack one.
	echo
	if [ "$rc" = 0 ] && [ "$unload" = ok ]; then
		mark "RESULT $name PASS"
	elif [ "$rc" = 77 ] && [ "$unload" = ok ]; then
		# tests/guest/lib.sh skip(): the reason, one line
		mark "RESULT $name SKIP $(head -n 1 "/tmp/$name.skip" 2>/dev/null)"
	elif [ "$rc" = 0 ] || [ "$rc" = 77 ]; then
		mark "RESULT $name FAIL exit=$rc rmmod-failed"
	elif [ "$rc" = 137 ] && [ "$took" -ge $((lim - 1)) ]; then
		mark "RESULT $name FAIL exit=$rc timeout=${lim}s"
	else
		mark "RESULT $name FAIL exit=$rc"
	fi
done

mark "DMESG BEGIN"
dmesg
mark "DMESG END"
mark "DONE"
sync
# The last lines are still in the UART's queue; give them time to drain
# before the machine goes away.
sleep 1
poweroff -f
# Not reached; if it is, do not let PID 1 exit (that would panic).
echo o >/proc/sysrq-trigger
while :; do sleep 60; done
