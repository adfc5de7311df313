#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# plot.sh PLOT.DAT OUT.png [HOOK.DAT]: the bench figure (scripts/bench.sh
# calls it). PLOT.DAT lines: "test/variant ratio lo hi" (ratios against
# module absent, per round: median and min-max). Panels: bulk throughput and
# connection rate, one bar per variant, whiskers min-max over rounds; with
# HOOK.DAT ('"label" call_ns optw_ns'), below them the cost of one call of
# each hooked transmit function.
set -euo pipefail
dat=${1:?usage: plot.sh PLOT.DAT OUT.png [HOOK.DAT]}
png=${2:?usage: plot.sh PLOT.DAT OUT.png [HOOK.DAT]}
hook=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One file per panel; blocks (index 0, 1, 2) per variant; x = group + offset.
split_panel() {	# split_panel REGEX OUT
	awk -v re="$1" -v meta="$2.meta" '
	BEGIN { off["untagged"] = -0.27; off["tag_hs"] = 0; off["tag_always"] = 0.27
		vi["untagged"] = 0; vi["tag_hs"] = 1; vi["tag_always"] = 2 }
	{
		split($1, p, "/"); t = p[1]; v = p[2]
		if (t !~ re || !(v in vi)) next
		if (!(t in g)) { g[t] = ng; name[ng++] = t }
		line[vi[v]] = line[vi[v]] sprintf("%.3f %.3f %.3f %.3f\n", g[t] + off[v], 100 * $2, 100 * $3, 100 * $4)
	}
	END {
		for (i = 0; i < 3; i++) printf "%s\n\n", (line[i] == "" ? "-9 -9 -9 -9\n" : line[i])
		for (i = 0; i < ng; i++) {
			l = name[i]
			if (l == "bulk1") l = "1 stream"
			else if (l == "bulk4") l = "4 streams"
			else if (l == "conn") l = "none held"
			else if (l ~ /^scale_/) {
				l = substr(l, 7)
				if (l == "100000") l = "100,000"
				else if (l == "1000") l = "1,000"
				l = l " held"
			}
			tics = tics (i ? ", " : "") sprintf("\"%s\" %d", l, i)
		}
		print "(" tics ")" > meta
		print ng > meta
	}' "$dat" >"$2"
}
split_panel '^bulk' "$tmp/bulk"
split_panel '^(conn|scale_)' "$tmp/conn"
# y range: around all bars and whiskers, 100% always in view; whiskers
# beyond 200% are cut (the table has them)
read -r ylo yhi < <(awk 'NF == 4 && $1 > -9 { if (lo == "" || $3 < lo) lo = $3; if ($4 > hi) hi = $4 }
	END { if (lo == "" || lo > 100) lo = 100; if (hi < 100) hi = 100; if (hi > 196) hi = 196
	      printf "%d %d\n", int(lo - 3), int(hi + 3.999) }' "$tmp/bulk" "$tmp/conn")
if [[ -s $hook ]]; then
	top=0.42 height=1000
	hmax=$(awk '{ for (i = NF - 1; i <= NF; i++) if ($i > m) m = $i } END { print int(m * 1.2 + 1) }' "$hook")
else
	top=0 height=600 hmax=1
fi

cat >"$tmp/plot.gp" <<'EOF'
set terminal pngcairo size 1280,height font "sans,11"
set output png
set multiplot title "sdp\\_toa: % of the module-absent figure of the same round (bars: median over rounds, value at the base; whiskers: min-max, cut at 200%)" font "sans,12"
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.25
set yrange [ylo:yhi]
set grid ytics lc rgb "#dddddd"
set ylabel "% of module absent"
set arrow 1 from graph 0, first 100 to graph 1, first 100 nohead lc rgb "#000000" dt 2
set format y "%g%%"
set bmargin 5
c0 = "#4c72b0"; c1 = "#dd8452"; c2 = "#55a868"
lab = ylo + (yhi - ylo) * 0.04

set size 0.5, (1 - top) * 0.93
set origin 0, top
set key at screen 0.5, screen top + 0.02 center horizontal maxrows 1 samplen 1.5 width -2 font "sans,10"
set title "Bulk throughput (lb -> be over veth, TSO on)"
set xrange [-0.6:n_bulk - 0.4]
eval "set xtics " . xt_bulk
plot bulk index 0 u 1:2 w boxes lc rgb c0 t "loaded, untagged", \
     "" index 1 u 1:2 w boxes lc rgb c1 t "tagged, inject=handshake", \
     "" index 2 u 1:2 w boxes lc rgb c2 t "tagged, inject=always", \
     for [i=0:2] "" index i u 1:2:3:4 w yerrorbars lc rgb "#555555" pt 0 notitle, \
     for [i=0:2] "" index i u 1:(lab):(sprintf("%.1f", $2)) w labels font "sans,8" tc rgb "#ffffff" notitle

set key off
set origin 0.5, top
set title "Connection rate (connect, 100 B each way, close), by tagged sockets held"
set xrange [-0.6:n_conn - 0.4]
eval "set xtics " . xt_conn
plot conn index 0 u 1:2 w boxes lc rgb c0, \
     "" index 1 u 1:2 w boxes lc rgb c1, \
     "" index 2 u 1:2 w boxes lc rgb c2, \
     for [i=0:2] "" index i u 1:2:3:4 w yerrorbars lc rgb "#555555" pt 0, \
     for [i=0:2] "" index i u 1:(lab):(sprintf("%.1f", $2)) w labels font "sans,8" tc rgb "#ffffff"

if (top > 0) {
	set size 1, top - 0.02
	set origin 0, 0
	unset arrow 1
	set format y "%g"
	set yrange [0:hmax]
	set xrange [-0.6:*]
	set xtics auto
	set ylabel "ns per call (TCG)"
	set title "One call, timed in a loop in the kernel (minimum over samples): the bare function (module absent) and with sdp\\_toa's hook"
	set style data histogram
	set style histogram clustered gap 1.5
	set boxwidth 0.9 relative
	set key default
	set key top left horizontal font "sans,10"
	set bmargin 3
	plot hook u 2:xtic(1) lc rgb "#8172b3" t "tcp\\_established\\_options (each segment and MSS check)", \
	     "" u 3 lc rgb "#937860" t "tcp\\_options\\_write (each segment)", \
	     "" u ($0 - 0.17):2:(sprintf("%.0f", $2)) w labels offset 0,0.7 font "sans,9" notitle, \
	     "" u ($0 + 0.17):3:(sprintf("%.0f", $3)) w labels offset 0,0.7 font "sans,9" notitle
}
unset multiplot
EOF
gnuplot -e "png='$png'; height=$height; top=$top; ylo=$ylo; yhi=$yhi; hmax=$hmax" \
	-e "bulk='$tmp/bulk'; conn='$tmp/conn'; hook='$hook'" \
	-e "n_bulk=$(tail -n 1 "$tmp/bulk.meta"); n_conn=$(tail -n 1 "$tmp/conn.meta")" \
	-e "xt_bulk='$(head -n 1 "$tmp/bulk.meta")'; xt_conn='$(head -n 1 "$tmp/conn.meta")'" \
	"$tmp/plot.gp"
