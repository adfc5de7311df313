#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkchangelog.sh DIR: write DIR/debian/changelog for the version in
# DIR/VERSION, so the package version always comes from VERSION (native
# package: the Debian version is VERSION itself).  The maintainer is the one
# of debian/control; the date is SOURCE_DATE_EPOCH, else the last commit's,
# else now.
set -eu
dir=${1:?usage: mkchangelog.sh DIR}
version=$(cat "$dir/VERSION")
maint=$(sed -n 's/^Maintainer: *//p' "$dir/debian/control")
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$(dirname "$0")" log -1 --format=%ct 2>/dev/null || date +%s)}
cat >"$dir/debian/changelog" <<EOT
sdp-toa ($version) unstable; urgency=medium

  * sdp_toa $version (changelog generated from VERSION by "make deb").

 -- $maint  $(LC_ALL=C date -u -R -d "@$epoch")
EOT
