// SPDX-License-Identifier: GPL-2.0
/*
 * toa_check - judge a toa_sniff capture against the placement rules.
 *
 *   toa_check FILE --mode handshake|always|none [options]
 *
 * Per flow (the client is the side that sent the SYN; a new SYN with another
 * ISN on the same ports starts a new flow), every segment must have:
 *   - a well-formed option area (malformed=0), no unattributed option
 *     (unknown=-, unless --allow-unknown) and at most one TOA;
 *   - no TOA on SYN, SYN-ACK, RST, or anything the server sends;
 *   handshake: client non-SYN, non-RST segments with ack == server ISN + 1
 *     carry TOA; with ack beyond it they do not;
 *   always: every client non-SYN, non-RST segment carries TOA;
 *   none: no segment carries TOA.
 * A required TOA may be missing only when it could not fit: option bytes
 * present + TOA length > 40 (the TOA length is --len, else the length seen
 * in the flow, else 8). Such segments count as noroom (--allow-no-room:
 * every missing TOA does). Nor is a TOA that would fit required on a
 * client's bare ACK of the server's FIN once the client has sent its own
 * FIN (counted as timewait): the kernel may send it from the TIME_WAIT
 * socket (a FIN or an old segment the server sent again, or the FIN
 * reaching an orphaned FIN_WAIT2 socket), which no hook sees and which
 * carries no tag.
 * --late-tag: the tag was set after connect(), so the handshake-completing
 * ACK (the client's first non-SYN segment) must not carry TOA; later
 * segments follow --mode.
 * TOA content must match --addr/--port/--len/--kind when given. --kind takes
 * a list: a kind changed mid-run; each flow's TOA kinds must follow the
 * list's order and every listed kind must be seen.
 * --mtu M: every wire segment (GSO super-segments split at gso) is at most
 * M bytes of IP packet.
 * The capture's end line must show drops=0 and vnet_errors=0.
 *
 * Prints each violation, then one line:
 *   toa_check: flows=N segments=N with_toa=N without=N violations=N
 *              noroom=N required=N forbidden=N drops=N timewait=N
 *                                                       (one line)
 * and exits 1 if there was any violation.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt.h"

enum mode { M_UNSET, M_HANDSHAKE, M_ALWAYS, M_NONE };

#define MAX_KINDS	8
#define MAX_SHOWN	40

static struct {
	enum mode mode;
	bool have_addr, late_tag, allow_unknown, allow_drops, expect_noroom;
	bool allow_no_room;
	bool verbose;
	uint8_t addr[16];
	const char *addr_s;
	int port, len, mtu, server_port, flows;
	int kinds[MAX_KINDS], nkinds;
	long min_with, min_without;
} o = { .port = -1, .len = -1, .mtu = -1, .server_port = -1, .flows = 1 };

struct seg {
	char dir[8], src[64], dst[64], flags[16], toa[128], unknown[128];
	unsigned sport, dport;
	uint32_t seq, ack;
	long paylen, framelen, gso, optlen;
	int ntoa, malformed;
};

struct flow {
	char caddr[64], saddr[64];
	unsigned cport, sport;
	uint32_t c_isn, s_isn;
	bool have_synack, orphan, dead, seen_client_seg;
	bool c_fin, s_fin;		/* each side's FIN seen */
	uint32_t s_fin_ack;		/* the ack that acknowledges the server's FIN */
	char prev[96];			/* the flow's previous segment, for messages */
	int kind_idx, seen_len, line;
	long segs, with, without, noroom, viol;
	/* the last client segment judged "no room": where it ended, its ack
	 * and option length (a GSO split shares that segment's header) */
	bool nr_valid;
	uint32_t nr_end, nr_ack;
	long nr_optlen;
};

static struct flow *flows;
static int nflows, cap_flows;
static long n_segs, n_with, n_without, n_noroom, n_required, n_forbidden;
static long n_viol, n_timewait;
static bool kind_seen[MAX_KINDS];

static void violation(int line, const struct flow *f, const struct seg *s,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void violation(int line, const struct flow *f, const struct seg *s,
		      const char *fmt, ...)
{
	va_list ap;

	n_viol++;
	if (n_viol > MAX_SHOWN) {
		if (n_viol == MAX_SHOWN + 1)
			printf("VIOLATION: ... (more not shown)\n");
		return;
	}
	printf("VIOLATION: line %d", line);
	if (f)
		printf(" flow %s:%u>%s:%u", f->caddr, f->cport, f->saddr,
		       f->sport);
	if (s)
		printf(" [%s:%u>%s:%u %s seq=%u ack=%u paylen=%ld optlen=%ld toa=%s]",
		       s->src, s->sport, s->dst, s->dport, s->flags, s->seq,
		       s->ack, s->paylen, s->optlen, s->toa);
	printf(": ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (f && f->prev[0])
		printf(" (after %s)", f->prev);
	printf("\n");
}

static bool has(const char *flags, char c)
{
	return strchr(flags, c) != NULL;
}

/* Parse "key=value" tokens of a segment line; false if it is not one. */
static bool parse_seg(char *line, struct seg *s)
{
	char *tok, *save = NULL, *eq;
	int n = 0;

	memset(s, 0, sizeof(*s));
	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			return false;
		*eq++ = 0;
#define STR(k, f) else if (!strcmp(tok, k)) { snprintf(s->f, sizeof(s->f), "%s", eq); n++; }
#define NUM(k, f) else if (!strcmp(tok, k)) { s->f = strtol(eq, NULL, 10); n++; }
#define U32(k, f) else if (!strcmp(tok, k)) { s->f = (uint32_t)strtoul(eq, NULL, 10); n++; }
		if (0) {}
		STR("dir", dir) STR("src", src) STR("dst", dst)
		STR("flags", flags) STR("toa", toa) STR("unknown", unknown)
		NUM("sport", sport) NUM("dport", dport) U32("seq", seq)
		U32("ack", ack) NUM("paylen", paylen) NUM("framelen", framelen)
		NUM("gso", gso) NUM("optlen", optlen) NUM("ntoa", ntoa)
		NUM("malformed", malformed)
#undef STR
#undef NUM
#undef U32
	}
	return n >= 16;
}

static struct flow *new_flow(const struct seg *s, bool from_src, int line)
{
	struct flow *f;

	if (nflows == cap_flows) {
		cap_flows = cap_flows ? cap_flows * 2 : 64;
		flows = realloc(flows, cap_flows * sizeof(*flows));
		if (!flows)
			die("out of memory");
	}
	f = &flows[nflows++];
	memset(f, 0, sizeof(*f));
	snprintf(f->caddr, sizeof(f->caddr), "%s", from_src ? s->src : s->dst);
	snprintf(f->saddr, sizeof(f->saddr), "%s", from_src ? s->dst : s->src);
	f->cport = from_src ? s->sport : s->dport;
	f->sport = from_src ? s->dport : s->sport;
	f->line = line;
	return f;
}

/* The live flow this segment belongs to; *from_client tells direction. */
static struct flow *find_flow(const struct seg *s, bool *from_client)
{
	int i;

	for (i = nflows - 1; i >= 0; i--) {
		struct flow *f = &flows[i];

		if (f->dead)
			continue;
		if (f->cport == s->sport && f->sport == s->dport &&
		    !strcmp(f->caddr, s->src) && !strcmp(f->saddr, s->dst)) {
			*from_client = true;
			return f;
		}
		if (f->cport == s->dport && f->sport == s->sport &&
		    !strcmp(f->caddr, s->dst) && !strcmp(f->saddr, s->src)) {
			*from_client = false;
			return f;
		}
	}
	return NULL;
}

/* IPv4 text as ::ffff:a.b.c.d, IPv6 as is; false if neither. */
static bool addr16(const char *s, uint8_t out[16])
{
	uint8_t v4[4];

	if (inet_pton(AF_INET6, s, out) == 1)
		return true;
	if (inet_pton(AF_INET, s, v4) != 1)
		return false;
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
	return true;
}

static void check_content(int line, struct flow *f, const struct seg *s)
{
	char buf[128], *kind_s, *len_s, *addr_s, *port_s;
	uint8_t a[16];
	int kind, len, port, i;

	snprintf(buf, sizeof(buf), "%s", s->toa);
	kind_s = strtok(buf, "/");
	len_s = strtok(NULL, "/");
	addr_s = strtok(NULL, "/");
	port_s = strtok(NULL, "/");
	if (!kind_s || !len_s || !addr_s || !port_s) {
		violation(line, f, s, "cannot read toa=%s", s->toa);
		return;
	}
	kind = atoi(kind_s);
	len = atoi(len_s);
	port = atoi(port_s);
	if (!f->seen_len)
		f->seen_len = len;
	if (o.len >= 0 && len != o.len)
		violation(line, f, s, "TOA length %d, expected %d", len, o.len);
	if (o.port >= 0 && port != o.port)
		violation(line, f, s, "TOA port %d, expected %d", port, o.port);
	if (o.have_addr && (!addr16(addr_s, a) || memcmp(a, o.addr, 16)))
		violation(line, f, s, "TOA address %s, expected %s", addr_s,
			  o.addr_s);
	if (o.nkinds) {
		for (i = 0; i < o.nkinds; i++)
			if (o.kinds[i] == kind)
				break;
		if (i == o.nkinds) {
			violation(line, f, s, "TOA kind %d not expected", kind);
		} else {
			kind_seen[i] = true;
			if (i < f->kind_idx)
				violation(line, f, s,
					  "TOA kind %d after kind %d (expected the order of --kind)",
					  kind, o.kinds[f->kind_idx]);
			else
				f->kind_idx = i;
		}
	}
}

static void check_seg(int line, struct flow *f, const struct seg *s,
		      bool from_client)
{
	bool syn = has(s->flags, 'S'), rst = has(s->flags, 'R');
	bool toa = strcmp(s->toa, "none") && strcmp(s->toa, "-");
	bool required = false, forbidden = false, first = false;
	long tl, l3 = 0;
	int32_t d;

	n_segs++;
	f->segs++;
	if (s->malformed)
		violation(line, f, s, "malformed option area");
	if (!o.allow_unknown && strcmp(s->unknown, "-"))
		violation(line, f, s, "option(s) not attributable: %s",
			  s->unknown);
	if (s->ntoa > 1)
		violation(line, f, s, "%d TOA options in one segment", s->ntoa);
	if (o.mtu > 0 && s->framelen > 0) {
		l3 = s->framelen - 14 - s->paylen +
		     (s->gso > 0 && s->paylen > s->gso ? s->gso : s->paylen);
		if (l3 > o.mtu)
			violation(line, f, s,
				  "%ld-byte IP packet on the wire exceeds MTU %d",
				  l3, o.mtu);
	}
	if (toa) {
		n_with++;
		f->with++;
		check_content(line, f, s);
	}

	if (has(s->flags, 'F')) {
		if (from_client) {
			f->c_fin = true;
		} else {
			f->s_fin = true;
			f->s_fin_ack = s->seq + (uint32_t)s->paylen + 1;
		}
	}
	if (!from_client || syn || rst) {
		if (toa)
			violation(line, f, s, "TOA on %s",
				  syn ? (from_client ? "a SYN" : "a SYN-ACK") :
				  rst ? "a RST" : "a server->client segment");
		return;
	}
	/* a client non-SYN, non-RST segment */
	if (!f->seen_client_seg) {
		f->seen_client_seg = true;
		first = true;
	}
	if (!toa) {
		n_without++;
		f->without++;
	} else {
		f->nr_valid = false;	/* a header with room: no GSO tail */
	}
	switch (o.mode) {
	case M_NONE:
		forbidden = true;
		break;
	case M_ALWAYS:
		required = true;
		break;
	case M_HANDSHAKE:
		if (!f->have_synack || !has(s->flags, 'A'))
			break;		/* cannot judge */
		d = (int32_t)(s->ack - (f->s_isn + 1));
		if (d == 0)
			required = true;
		else if (d > 0)
			forbidden = true;
		break;
	case M_UNSET:
		break;
	}
	if (o.late_tag && first && o.mode != M_NONE) {
		required = false;
		forbidden = true;
	}
	if (required)
		n_required++;
	if (forbidden)
		n_forbidden++;
	if (toa && forbidden) {
		violation(line, f, s, "TOA where it must not be (%s)",
			  o.mode == M_NONE ? "--mode none" :
			  first && o.late_tag ? "handshake ACK before the tag" :
			  "ack is past the server's ISN + 1: the backend has sent data");
	} else if (!toa && required) {
		tl = o.len > 0 ? o.len : f->seen_len ? f->seen_len : 8;
		/*
		 * No room: TCP's options leave less than the TOA in 40
		 * bytes, or (--mtu) the TOA would take the packet over the
		 * MTU: TCP sized this segment while its options left no room
		 * (a SACK block since gone), and the sender must keep the MTU.
		 */
		/*
		 * Or it continues, in the same transmit (contiguous sequence,
		 * same ack and options), a segment that had no room: TCP
		 * built both as one GSO skb, with one header, which software
		 * GSO then split; the TOA could not go on a part of it.
		 */
		bool gso_tail = f->nr_valid && s->seq == f->nr_end &&
				s->ack == f->nr_ack && s->optlen == f->nr_optlen;

		if (s->optlen + tl > 40 || o.allow_no_room || gso_tail ||
		    (o.mtu > 0 && l3 > 0 && l3 + tl > o.mtu)) {
			n_noroom++;
			f->noroom++;
			f->nr_valid = true;
			f->nr_end = s->seq + (uint32_t)s->paylen;
			f->nr_ack = s->ack;
			f->nr_optlen = s->optlen;
		} else if (f->c_fin && f->s_fin && s->ack == f->s_fin_ack &&
			   !s->paylen && !strcmp(s->flags, "A")) {
			n_timewait++;
		} else {
			violation(line, f, s,
				  "TOA missing (%ld option bytes + %ld would fit in 40)",
				  s->optlen, tl);
		}
	}
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: toa_check FILE --mode handshake|always|none [options]\n"
"  --addr A --port P     TOA content (A: IPv4 or IPv6 text; an IPv4 A also\n"
"                        matches ::ffff:A in the 20-byte form)\n"
"  --len 8|20            TOA length\n"
"  --kind K[,K..]        TOA kind(s), in the order they are used\n"
"  --server-port P       only flows to this server port\n"
"  --flows N             at least N flows (default 1)\n"
"  --late-tag            tag set after connect: handshake ACK without TOA\n"
"  --mtu M               no wire segment's IP packet exceeds M bytes\n"
"  --min-with N          at least N segments with TOA\n"
"  --min-without N       at least N client segments without TOA\n"
"  --expect-no-room      at least one TOA skipped for want of room\n"
"  --allow-no-room       accept any missing TOA as if there were no room\n"
"                        (default: only when option bytes + TOA length > 40,\n"
"                        or with --mtu when the TOA would exceed it)\n"
"  --allow-unknown       do not fail on unattributable options\n"
"  --allow-drops         do not fail on capture drops\n"
"  -v                    one line per flow\n");
	exit(status);
}

int main(int argc, char **argv)
{
	enum {
		O_MODE = 256, O_ADDR, O_PORT, O_LEN, O_KIND, O_SPORT, O_FLOWS,
		O_LATE, O_MTU, O_MINW, O_MINWO, O_NOROOM, O_UNK, O_DROPS, O_ANR,
	};
	static const struct option longopts[] = {
		{ "mode", 1, 0, O_MODE }, { "addr", 1, 0, O_ADDR },
		{ "port", 1, 0, O_PORT }, { "len", 1, 0, O_LEN },
		{ "kind", 1, 0, O_KIND }, { "server-port", 1, 0, O_SPORT },
		{ "flows", 1, 0, O_FLOWS }, { "late-tag", 0, 0, O_LATE },
		{ "mtu", 1, 0, O_MTU }, { "min-with", 1, 0, O_MINW },
		{ "min-without", 1, 0, O_MINWO },
		{ "expect-no-room", 0, 0, O_NOROOM },
		{ "allow-unknown", 0, 0, O_UNK },
		{ "allow-no-room", 0, 0, O_ANR },
		{ "allow-drops", 0, 0, O_DROPS }, { "help", 0, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	char line[2048], copy[2048], *tok, *save;
	unsigned long long drops = 0, vnet_err = 0;
	bool ended = false, from_client, syn, ack;
	int c, lineno = 0, i, matched = 0;
	struct flow *f;
	struct seg s;
	FILE *in;

	tt_set_prog(argv[0]);
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_MODE:
			if (!strcmp(optarg, "handshake"))
				o.mode = M_HANDSHAKE;
			else if (!strcmp(optarg, "always"))
				o.mode = M_ALWAYS;
			else if (!strcmp(optarg, "none"))
				o.mode = M_NONE;
			else
				die("--mode: handshake, always or none");
			break;
		case O_ADDR:
			o.have_addr = true;
			o.addr_s = optarg;
			if (!addr16(optarg, o.addr))
				die("--addr: bad address '%s'", optarg);
			break;
		case O_PORT: o.port = tt_parse_num(optarg, 0, 65535, "--port"); break;
		case O_LEN:
			o.len = tt_parse_num(optarg, 8, 20, "--len");
			if (o.len != 8 && o.len != 20)
				die("--len: 8 or 20");
			break;
		case O_KIND:
			save = NULL;
			snprintf(copy, sizeof(copy), "%s", optarg);
			for (tok = strtok_r(copy, ",", &save);
			     tok && o.nkinds < MAX_KINDS;
			     tok = strtok_r(NULL, ",", &save))
				o.kinds[o.nkinds++] =
					tt_parse_num(tok, 0, 255, "--kind");
			break;
		case O_SPORT:
			o.server_port = tt_parse_num(optarg, 0, 65535,
						     "--server-port");
			break;
		case O_FLOWS: o.flows = tt_parse_num(optarg, 0, 1 << 30, "--flows"); break;
		case O_LATE: o.late_tag = true; break;
		case O_MTU: o.mtu = tt_parse_num(optarg, 68, 65535, "--mtu"); break;
		case O_MINW:
			o.min_with = tt_parse_num(optarg, 0, 1LL << 40,
						  "--min-with");
			break;
		case O_MINWO:
			o.min_without = tt_parse_num(optarg, 0, 1LL << 40,
						     "--min-without");
			break;
		case O_NOROOM: o.expect_noroom = true; break;
		case O_UNK: o.allow_unknown = true; break;
		case O_ANR: o.allow_no_room = true; break;
		case O_DROPS: o.allow_drops = true; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc - 1)
		usage(2);
	if (o.mode == M_UNSET)
		die("--mode handshake|always|none is required");
	in = fopen(argv[optind], "r");
	if (!in)
		die_errno("open %s", argv[optind]);

	while (fgets(line, sizeof(line), in)) {
		lineno++;
		if (line[0] == '#') {
			if (!strncmp(line, "# end ", 6)) {
				char *p;

				ended = true;
				p = strstr(line, " drops=");
				if (p)
					drops = strtoull(p + 7, NULL, 10);
				p = strstr(line, " vnet_errors=");
				if (p)
					vnet_err = strtoull(p + 13, NULL, 10);
			}
			continue;
		}
		snprintf(copy, sizeof(copy), "%s", line);
		if (!parse_seg(copy, &s)) {
			violation(lineno, NULL, NULL, "cannot parse: %s", line);
			continue;
		}
		syn = has(s.flags, 'S');
		ack = has(s.flags, 'A');
		f = find_flow(&s, &from_client);
		if (syn && !ack && (!f || !from_client || f->c_isn != s.seq ||
				    f->orphan)) {
			if (f && from_client)
				f->dead = true;	/* port reused */
			f = new_flow(&s, true, lineno);
			f->c_isn = s.seq;
			from_client = true;
		} else if (!f) {
			/* guess the client: the side not on --server-port,
			 * else the higher port */
			bool src_client = o.server_port >= 0 ?
				s.dport == (unsigned)o.server_port :
				s.sport > s.dport;

			f = new_flow(&s, src_client, lineno);
			f->orphan = true;
			from_client = src_client;
		}
		if (o.server_port >= 0 && f->sport != (unsigned)o.server_port)
			continue;
		if (f->orphan && f->segs == 0)
			violation(lineno, f, &s,
				  "flow without a SYN in the capture");
		if (syn && ack && !from_client) {
			f->s_isn = s.seq;
			f->have_synack = true;
		}
		check_seg(lineno, f, &s, from_client);
		snprintf(f->prev, sizeof(f->prev),
			 "%s %s seq=%u ack=%u paylen=%ld",
			 from_client ? "client" : "server", s.flags, s.seq,
			 s.ack, s.paylen);
	}
	fclose(in);

	for (i = 0; i < nflows; i++) {
		f = &flows[i];
		if (o.server_port >= 0 && f->sport != (unsigned)o.server_port)
			continue;
		matched++;
		if (o.verbose)
			printf("flow %s:%u>%s:%u%s segs=%ld with_toa=%ld without=%ld noroom=%ld\n",
			       f->caddr, f->cport, f->saddr, f->sport,
			       f->orphan ? " (no SYN)" : "", f->segs, f->with,
			       f->without, f->noroom);
	}
	if (!ended)
		violation(lineno, NULL, NULL,
			  "no '# end' line: the capture did not stop cleanly");
	else if ((drops || vnet_err) && !o.allow_drops)
		violation(lineno, NULL, NULL,
			  "capture lost segments: drops=%llu vnet_errors=%llu",
			  drops, vnet_err);
	if (matched < o.flows)
		violation(lineno, NULL, NULL, "%d flow(s) seen, expected at least %d",
			  matched, o.flows);
	if (o.nkinds > 1)
		for (i = 0; i < o.nkinds; i++)
			if (!kind_seen[i])
				violation(lineno, NULL, NULL,
					  "no TOA with kind %d seen",
					  o.kinds[i]);
	if (n_with < o.min_with)
		violation(lineno, NULL, NULL,
			  "%ld segments with TOA, expected at least %ld", n_with,
			  o.min_with);
	if (n_without < o.min_without)
		violation(lineno, NULL, NULL,
			  "%ld client segments without TOA, expected at least %ld",
			  n_without, o.min_without);
	if (o.expect_noroom && !n_noroom)
		violation(lineno, NULL, NULL,
			  "no segment went without TOA for want of room");

	printf("toa_check: flows=%d segments=%ld with_toa=%ld without=%ld violations=%ld noroom=%ld required=%ld forbidden=%ld drops=%llu timewait=%ld\n",
	       matched, n_segs, n_with, n_without, n_viol, n_noroom, n_required,
	       n_forbidden, drops, n_timewait);
	return n_viol ? 1 : 0;
}
