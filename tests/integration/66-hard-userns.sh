#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening 8: privilege. Tagging needs CAP_NET_ADMIN in the socket's
# network namespace, or membership of the group allowed_gid (of the initial
# user namespace):
#  - nobody (uid 65534) gets EPERM; with allowed_gid=65534 it may tag;
#  - root inside a new user namespace (unshare -U -r; or unshare(2) with a
#    socket created before) has no CAP_NET_ADMIN over the initial network
#    namespace: EPERM for sockets there, created before or after unshare;
#  - with a network namespace of its own (unshare -U -r -n) it may tag its
#    own sockets there (that namespace is its to administer);
#  - nobody inside its own user namespace: EPERM in the initial netns, even
#    though it is "root" there; allowed_gid=65534 applies to it (its real
#    group), allowed_gid=0 does not (it is not in the initial group 0).
# Every EPERM counts in "denied" and leaves no tag.
. /tests/lib.sh

toa_load
T="--no-connect --tag 203.0.113.50:4000"
NOBODY="/opt/tools/setpriv --reuid 65534 --regid 65534 --clear-groups"
n=0
expect() {	# WHAT EPERM|ok CMD...: run CMD (a toa_client/toa_stress line)
	_what=$1 _want=$2
	shift 2
	_d=$(toa_stat denied)
	_t=$(toa_stat sockets_tagged)
	"$@" >u.out 2>&1 || { cat u.out; fail "$_what: $*"; }
	if [ "$_want" = EPERM ]; then
		assert_eq "$(toa_stat denied)" $((_d + 1)) "$_what: denied"
		assert_eq "$(toa_stat sockets_tagged)" "$_t" "$_what: sockets_tagged"
	else
		assert_eq "$(toa_stat denied)" "$_d" "$_what: denied"
		assert_eq "$(toa_stat sockets_tagged)" $((_t + 1)) "$_what: sockets_tagged"
	fi
	log "$_what: $_want"
	n=$((n + 1))
}
C=$BIN/toa_client

expect "nobody" EPERM $NOBODY $C $T --tag-errno EPERM
expect "nobody, IPv6 socket" EPERM $NOBODY $C -6 $T --tag-errno EPERM
toa_param_set allowed_gid 65534 || fail "allowed_gid=65534"
expect "nobody, allowed_gid=65534" ok $NOBODY $C $T --expect-get 203.0.113.50:4000
toa_param_set allowed_gid -1 || fail "allowed_gid=-1"

expect "root in a new userns (unshare -U -r), socket of the initial netns" EPERM \
	unshare -U -r $C $T --tag-errno EPERM
expect "root in a new userns, socket created before unshare(CLONE_NEWUSER)" EPERM \
	$BIN/toa_stress userns --when before --tag 203.0.113.50:4000
expect "root in a new userns, socket created after unshare(CLONE_NEWUSER)" EPERM \
	$BIN/toa_stress userns --when after --tag 203.0.113.50:4000
expect "root in a new userns with its own netns (unshare -U -r -n)" ok \
	unshare -U -r -n $C $T --expect-get 203.0.113.50:4000

expect "nobody in its own userns, socket of the initial netns" EPERM \
	$NOBODY unshare -U -r $C $T --tag-errno EPERM
expect "nobody in its own userns and netns" ok \
	$NOBODY unshare -U -r -n $C $T
toa_param_set allowed_gid 65534 || fail "allowed_gid=65534"
expect "nobody in its own userns, allowed_gid=65534" ok \
	$NOBODY unshare -U -r $C $T
toa_param_set allowed_gid 0 || fail "allowed_gid=0"
expect "nobody in its own userns (root there), allowed_gid=0" EPERM \
	$NOBODY unshare -U -r $C $T --tag-errno EPERM
toa_param_set allowed_gid -1 || fail "allowed_gid=-1"

wait_live_zero
log "figures: privilege cases=$n"
log "took $(hard_took)"
pass
