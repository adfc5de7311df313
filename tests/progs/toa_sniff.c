// SPDX-License-Identifier: GPL-2.0
/*
 * toa_sniff - capture TCP segments on one interface (both directions) and
 * write one line per segment, for toa_check and for people.
 *
 *   toa_sniff -i IFNAME -o FILE [--ready FILE] [--kind K[,K..]]
 *             [--kind6 K[,K..]] [--rcvbuf BYTES]
 *
 * Starts capturing before it creates the --ready file; stops on SIGINT or
 * SIGTERM after reading what is already queued. The file is written in
 * blocks, flushed whenever the interface has been idle for 0.1 s. It runs
 * at nice -15 when allowed (root), so that a capture keeps up with the
 * traffic it records rather than compete with it. Kinds: which option kinds
 * count as TOA, 8-byte form (--kind, default 254) and 20-byte form
 * (--kind6, default 254); lists are for a kind changed mid-capture.
 *
 * Output format (one line each, fields separated by one space, no
 * timestamps, so runs can be compared):
 *
 *   # toa_sniff if=NAME kinds=K,.. kinds6=K,..         first line
 *   dir=in|out src=ADDR sport=N dst=ADDR dport=N flags=F seq=N ack=N
 *     win=N paylen=N framelen=N gso=N optlen=N opts=LIST toa=TOA ntoa=N
 *     unknown=LIST malformed=0|1                       one per segment
 *   # end packets=N tcp=N other=N drops=N vnet_errors=N   last line
 *
 *   dir       in: arrived on IFNAME; out: sent from it
 *   flags     TCP flags present, in the order F S R P A U E C ("-": none)
 *   seq, ack  raw header values (ack printed even without the A flag)
 *   paylen    TCP payload bytes (of the whole GSO super-segment)
 *   framelen  bytes on the wire including the 14-byte Ethernet header;
 *             for a GSO super-segment the size of the whole super-frame
 *   gso       gso_size of a GSO super-segment (payload per wire segment),
 *             0 for a plain segment, -1 if the kernel did not say
 *   optlen    TCP option bytes (doff * 4 - 20)
 *   opts      the options in order: KIND/LEN, or 1 for NOP, 0 for EOL;
 *             "-" for none
 *   toa       the first TOA option as decoded by toa_opt_decode():
 *             KIND/LEN/ADDR/PORT (ADDR as printed by inet_ntop: a.b.c.d for
 *             the 8-byte form, IPv6 text for the 20-byte form), or "none"
 *   ntoa      how many TOA options (kind in --kind with length 8, or in
 *             --kind6 with length 20)
 *   unknown   options that are neither TCP's own (MSS 2/4, WS 3/3,
 *             SACK-permitted 4/2, SACK 5/10..34, TS 8/10, MD5 19/18, UTO
 *             28/4, AO 29, MPTCP 30, TFO 34) nor TOA, as KIND/LEN:HEX
 *             (HEX: the bytes after kind and length); "eoljunk"
 *             for non-zero bytes after an EOL; "decoder" when the walk and
 *             toa_opt_decode() disagree on the TOA count; "-" for none
 *   malformed 1 if toa_opt_decode() rejects the option area, or the TCP
 *             header does not fit the packet; opts/toa/unknown are then "-"
 *   drops     packets the capture lost: the socket's PACKET_STATISTICS
 *             tp_drops, plus those still queued when the bounded drain
 *             after SIGTERM ended (undrained=, also shown alone); must be
 *             0 for a capture to be trusted; vnet_errors: segments lost
 *             because the kernel could not describe them
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "toa_opts.h"
#include "tt.h"

#define MAX_KINDS	8

static volatile sig_atomic_t stop;
static int kinds[MAX_KINDS], nkinds, kinds6[MAX_KINDS], nkinds6;
static unsigned long long n_packets, n_tcp, n_other, n_vnet_err;
static bool have_vnet;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_kinds(const char *s, int *out, const char *what)
{
	char buf[128], *tok, *save = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_KINDS)
			die("%s: at most %d kinds", what, MAX_KINDS);
		out[n++] = (int)tt_parse_num(tok, 0, 255, what);
	}
	if (!n)
		die("%s: no kind given", what);
	return n;
}

static bool is_toa(unsigned int kind, unsigned int len)
{
	int i;

	if (len == TOA_OPT_LEN_V4)
		for (i = 0; i < nkinds; i++)
			if ((int)kind == kinds[i])
				return true;
	if (len == TOA_OPT_LEN_V6)
		for (i = 0; i < nkinds6; i++)
			if ((int)kind == kinds6[i])
				return true;
	return false;
}

static bool is_tcp_own(unsigned int kind, unsigned int len)
{
	switch (kind) {
	case 2: return len == 4;		/* MSS */
	case 3: return len == 3;		/* window scale */
	case 4: return len == 2;		/* SACK permitted */
	case 5: return len >= 10 && len <= 34 && (len - 2) % 8 == 0;
	case 8: return len == 10;		/* timestamps */
	case 19: return len == 18;		/* MD5 */
	case 28: return len == 4;		/* user timeout */
	case 29: return len >= 4;		/* TCP-AO */
	case 30: return len >= 3;		/* MPTCP */
	case 34: return len >= 2 && len <= 18;	/* Fast Open cookie */
	}
	return false;
}

static void append(char *buf, size_t n, const char *fmt, unsigned a,
		   unsigned b, bool two)
{
	size_t l = strlen(buf);

	if (l >= n - 1)
		return;
	snprintf(buf + l, n - l, "%s", l ? "," : "");
	l = strlen(buf);
	if (two)
		snprintf(buf + l, n - l, fmt, a, b);
	else
		snprintf(buf + l, n - l, fmt, a);
}

/* ":" and @n bytes in hex, after what append() added last */
static void append_hex(char *buf, size_t n, const uint8_t *p, unsigned int len)
{
	size_t l = strlen(buf);
	unsigned int i;

	if (l + 1 + 2 * len >= n)
		return;
	buf[l++] = ':';
	for (i = 0; i < len; i++, l += 2)
		snprintf(buf + l, n - l, "%02x", p[i]);
}

/*
 * The option area as text. toa_opt_decode() decides well-formedness and
 * reads the TOA; the walk below only names the options (it runs on areas
 * the decoder accepted), counts TOAs of every configured kind and flags
 * what it cannot attribute.
 */
static void describe_opts(const uint8_t *o, unsigned int len, char *opts,
			  size_t on, char *toa, size_t tn, int *ntoa,
			  char *unk, size_t un, int *malformed)
{
	struct toa_found f;
	unsigned int i = 0, k, l, j;
	int n, n_primary = 0, first_pair = -1;
	char a[INET6_ADDRSTRLEN];

	opts[0] = unk[0] = 0;
	snprintf(toa, tn, "none");
	*ntoa = 0;
	*malformed = 0;
	n = toa_opt_decode(o, len, kinds[0], kinds6[0], NULL);
	if (n < 0) {
		*malformed = 1;
		snprintf(opts, on, "-");
		snprintf(toa, tn, "-");
		snprintf(unk, un, "-");
		return;
	}
	while (i < len) {
		k = o[i];
		if (k == 0) {
			append(opts, on, "0", 0, 0, false);
			for (j = i + 1; j < len; j++)
				if (o[j]) {
					append(unk, un, "eoljunk", 0, 0, false);
					break;
				}
			break;
		}
		if (k == 1) {
			append(opts, on, "1", 0, 0, false);
			i++;
			continue;
		}
		if (len - i < 2 || o[i + 1] < 2 || o[i + 1] > len - i) {
			/* the decoder accepted what the walk cannot read */
			append(unk, un, "decoder", 0, 0, false);
			break;
		}
		l = o[i + 1];
		append(opts, on, "%u/%u", k, l, true);
		if (is_toa(k, l)) {
			(*ntoa)++;
			if ((l == 8 && (int)k == kinds[0]) ||
			    (l == 20 && (int)k == kinds6[0]))
				n_primary++;
			if (first_pair < 0)
				first_pair = i;
		} else if (!is_tcp_own(k, l)) {
			append(unk, un, "%u/%u", k, l, true);
			append_hex(unk, un, o + i + 2, l - 2);
		}
		i += l;
	}
	if (n != n_primary)
		append(unk, un, "decoder", 0, 0, false);
	if (first_pair >= 0) {
		k = o[first_pair];
		l = o[first_pair + 1];
		/* decode with the pair this option belongs to */
		n = toa_opt_decode(o + first_pair, len - first_pair,
				   l == 8 ? k : (k ^ 1), l == 20 ? k : (k ^ 1),
				   &f);
		if (n < 1 || f.kind != k || f.len != l) {
			append(unk, un, "decoder", 0, 0, false);
		} else {
			if (f.addr.family == TOA_AF_INET)
				inet_ntop(AF_INET, &f.addr.a.v4, a, sizeof(a));
			else
				inet_ntop(AF_INET6, f.addr.a.v6, a, sizeof(a));
			snprintf(toa, tn, "%u/%u/%s/%u", f.kind, f.len, a,
				 ntohs(f.addr.port));
		}
	}
	if (!opts[0])
		snprintf(opts, on, "-");
	if (!unk[0])
		snprintf(unk, un, "-");
}

static void flags_str(uint8_t fl, char *out)
{
	static const struct { uint8_t bit; char c; } tab[] = {
		{ 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x10, 'A' }, { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'C' },
	};
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (fl & tab[i].bit)
			out[n++] = tab[i].c;
	if (!n)
		out[n++] = '-';
	out[n] = 0;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* @p: the frame from its L3 header, @caplen bytes of it captured */
static void handle(FILE *out, const uint8_t *p, size_t caplen, size_t l3len,
		   int proto, const char *dir, size_t framelen, int gso)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], fl[12];
	char opts[512], toa[128], unk[256];
	const uint8_t *th;
	size_t iphl, ip_len, thl, optlen, paylen;
	int ntoa, malformed, nh;

	if (proto == ETH_P_IP) {
		if (caplen < 20 || (p[0] >> 4) != 4)
			goto other;
		iphl = (p[0] & 15) * 4;
		if (p[9] != IPPROTO_TCP || iphl < 20 || caplen < iphl)
			goto other;
		if (rd16(p + 6) & 0x1fff)	/* not the first fragment */
			goto other;
		ip_len = rd16(p + 2) ? (size_t)rd16(p + 2) : l3len; /* BIG TCP: 0 */
		inet_ntop(AF_INET, p + 12, src, sizeof(src));
		inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
	} else {
		if (caplen < 40 || (p[0] >> 4) != 6)
			goto other;
		nh = p[6];
		iphl = 40;
		ip_len = rd16(p + 4) ? 40 + (size_t)rd16(p + 4) : l3len;
		while (nh != IPPROTO_TCP) {
			if (caplen < iphl + 8)
				goto other;
			switch (nh) {
			case 0: case 43: case 60:	/* hop, routing, dest */
				nh = p[iphl];
				iphl += (p[iphl + 1] + 1) * 8;
				break;
			case 44:			/* fragment */
				if (rd16(p + iphl + 2) & 0xfff8)
					goto other;
				nh = p[iphl];
				iphl += 8;
				break;
			default:
				goto other;
			}
		}
		inet_ntop(AF_INET6, p + 8, src, sizeof(src));
		inet_ntop(AF_INET6, p + 24, dst, sizeof(dst));
	}
	n_tcp++;
	th = p + iphl;
	malformed = 0;
	thl = 0;
	if (caplen < iphl + 20 || ip_len < iphl + 20) {
		malformed = 1;
	} else {
		thl = (th[12] >> 4) * 4;
		if (thl < 20 || caplen < iphl + thl || ip_len < iphl + thl)
			malformed = 1;
	}
	if (malformed) {
		fprintf(out, "dir=%s src=%s sport=%u dst=%s dport=%u flags=? seq=0 ack=0 win=0 paylen=0 framelen=%zu gso=%d optlen=0 opts=- toa=- ntoa=0 unknown=- malformed=1\n",
			dir, src, caplen >= iphl + 4 ? rd16(th) : 0, dst,
			caplen >= iphl + 4 ? rd16(th + 2) : 0, framelen, gso);
		return;
	}
	optlen = thl - 20;
	paylen = ip_len - iphl - thl;
	describe_opts(th + 20, optlen, opts, sizeof(opts), toa, sizeof(toa),
		      &ntoa, unk, sizeof(unk), &malformed);
	flags_str(th[13], fl);
	fprintf(out, "dir=%s src=%s sport=%u dst=%s dport=%u flags=%s seq=%u ack=%u win=%u paylen=%zu framelen=%zu gso=%d optlen=%zu opts=%s toa=%s ntoa=%d unknown=%s malformed=%d\n",
		dir, src, rd16(th), dst, rd16(th + 2), fl, rd32(th + 4),
		rd32(th + 8), rd16(th + 14), paylen, framelen, gso, optlen,
		opts, toa, ntoa, unk, malformed);
	return;
other:
	n_other++;
}

static void frame(FILE *out, const uint8_t *buf, size_t got, size_t total,
		  const struct sockaddr_ll *sll)
{
	const struct virtio_net_hdr *vh = (const void *)buf;
	size_t off = 0, framelen, l2 = 0;
	int gso = -1, proto;
	const char *dir;

	n_packets++;
	if (have_vnet) {
		if (got < sizeof(*vh))
			return;
		gso = vh->gso_type == VIRTIO_NET_HDR_GSO_NONE ? 0
							       : vh->gso_size;
		off = sizeof(*vh);
	}
	framelen = total - off;
	buf += off;
	got -= off;
	proto = ntohs(sll->sll_protocol);
	if (sll->sll_hatype == ARPHRD_ETHER ||
	    sll->sll_hatype == ARPHRD_LOOPBACK) {
		if (got < 14)
			return;
		proto = rd16(buf + 12);
		l2 = 14;
	}
	if (proto != ETH_P_IP && proto != ETH_P_IPV6) {
		n_other++;
		return;
	}
	dir = sll->sll_pkttype == PACKET_OUTGOING ? "out" : "in";
	handle(out, buf + l2, got - l2, framelen - l2, proto, dir, framelen,
	       gso);
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: toa_sniff -i IFNAME -o FILE [--ready FILE] [--kind K[,K..]]\n"
"                 [--kind6 K[,K..]] [--rcvbuf BYTES]\n"
"Captures TCP on IFNAME (both directions) until SIGINT/SIGTERM; the line\n"
"format is described at the top of toa_sniff.c.\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static uint8_t buf[8192];
	static const struct option longopts[] = {
		{ "ready", 1, 0, 'r' }, { "kind", 1, 0, 'k' },
		{ "kind6", 1, 0, 'K' }, { "rcvbuf", 1, 0, 'b' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *ifname = NULL, *outpath = NULL, *ready = NULL;
	struct tpacket_stats pst;
	struct sockaddr_ll sll;
	struct sigaction sa;
	struct pollfd pfd;
	socklen_t sl;
	unsigned long long drops = 0, undrained = 0;
	int fd, c, one = 1, rcvbuf = 64 << 20, i;
	unsigned int ifindex;
	double drain_end;
	ssize_t r;
	FILE *out;

	tt_set_prog(argv[0]);
	kinds[0] = TOA_DEFAULT_KIND;
	nkinds = 1;
	kinds6[0] = TOA_DEFAULT_KIND6;
	nkinds6 = 1;
	while ((c = getopt_long(argc, argv, "i:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'o': outpath = optarg; break;
		case 'r': ready = optarg; break;
		case 'k': nkinds = parse_kinds(optarg, kinds, "--kind"); break;
		case 'K':
			nkinds6 = parse_kinds(optarg, kinds6, "--kind6");
			break;
		case 'b':
			rcvbuf = tt_parse_num(optarg, 4096, 1 << 30, "--rcvbuf");
			break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (!ifname || !outpath || optind != argc)
		usage(2);
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		die_errno("interface %s", ifname);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	out = fopen(outpath, "w");
	if (!out)
		die_errno("open %s", outpath);
	setvbuf(out, NULL, _IOFBF, 1 << 20);

	/* protocol 0: nothing is queued before bind() picks the interface */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die_errno("socket(AF_PACKET)");
	have_vnet = !setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one,
				sizeof(one));
	if (!have_vnet)
		warnmsg("PACKET_VNET_HDR: %s; gso sizes unknown (gso=-1)",
			tt_errstr(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		die_errno("SO_RCVBUF");
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die_errno("bind to %s", ifname);
	/* best effort: an unprivileged capture runs at its given priority */
	if (setpriority(PRIO_PROCESS, 0, -15) < 0 && errno != EPERM &&
	    errno != EACCES)
		warnmsg("setpriority: %s", tt_errstr(errno));

	fprintf(out, "# toa_sniff if=%s kinds=", ifname);
	for (i = 0; i < nkinds; i++)
		fprintf(out, "%s%d", i ? "," : "", kinds[i]);
	fprintf(out, " kinds6=");
	for (i = 0; i < nkinds6; i++)
		fprintf(out, "%s%d", i ? "," : "", kinds6[i]);
	fprintf(out, "\n");
	fflush(out);
	if (ready)
		tt_touch(ready, "capturing\n");

	drain_end = 0;
	for (;;) {
		if (stop && !drain_end)
			drain_end = tt_now() + 2;	/* bounded drain */
		if (drain_end && tt_now() > drain_end)
			break;
		if (!stop) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 100) <= 0) {
				/* idle: let readers see what we have */
				fflush(out);
				continue;
			}
		}
		sl = sizeof(sll);
		r = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT,
			     (struct sockaddr *)&sll, &sl);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				if (stop)
					break;	/* queue drained */
				continue;
			}
			if (errno == EINVAL) {	/* no vnet header for it */
				n_vnet_err++;
				continue;
			}
			die_errno("recvfrom");
		}
		frame(out, buf, (size_t)r < sizeof(buf) ? (size_t)r : sizeof(buf),
		      (size_t)r, &sll);
	}
	/* the drain ran out of time: what is still queued was not read */
	while (undrained < (1ULL << 24) &&
	       (recv(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT) >= 0 ||
		errno == EINVAL || errno == EINTR))
		undrained++;
	sl = sizeof(pst);
	if (!getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &pst, &sl))
		drops = pst.tp_drops;
	else
		warnmsg("PACKET_STATISTICS: %s", tt_errstr(errno));
	fprintf(out, "# end packets=%llu tcp=%llu other=%llu drops=%llu vnet_errors=%llu undrained=%llu\n",
		n_packets, n_tcp, n_other, drops + undrained, n_vnet_err,
		undrained);
	if (fclose(out))
		die_errno("write %s", outpath);
	close(fd);
	return 0;
}
