// SPDX-License-Identifier: GPL-2.0
/*
 * sdp-toa - what the sdp_toa module does, and proof that TOA leaves the box.
 *
 *   sdp-toa status [-i SECS] [-j]   module, version, data path, parameters,
 *                                   counters (and rates over SECS); the
 *                                   receiver's too where it is loaded
 *   sdp-toa check [-j] [--client A:P] [--kind K]
 *                                   self-test: in a private network namespace
 *                                   (nothing of the host's traffic is
 *                                   touched), tag one loopback connection,
 *                                   capture its handshake ACK, decode the
 *                                   option with the kind(s) the module sends
 *                                   (--kind: the one the backends' receivers
 *                                   read) and say what a receiver would see;
 *                                   exit
 *                                   status 0 pass, 1 fail (one-line reason)
 *   sdp-toa sockets [-j] [--backend A[:P]] [--client A[:P]]
 *                                   one line per tagged socket: local and
 *                                   remote address, the client carried, kind,
 *                                   state, segments carried (the module's
 *                                   /proc/net/sdp_toa_sockets), filtered as
 *                                   ss filters
 *
 * Exit status: 0 ok/pass, 1 check failed, 2 usage or environment error
 * (module not loaded, no permission). See sdp-toa(8).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sdp_toa.h"
#include "toa_opts.h"

#define SYS_MOD		"/sys/module/sdp_toa"
#define SYS_RECV	"/sys/module/sdp_toa_recv"
#define MAX_STATS	32

static bool json;

static void die2(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die2(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sdp-toa: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* The first line of @path, without its newline; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "re");
	size_t l;

	if (!f)
		return false;
	if (!fgets(buf, n, f)) {
		fclose(f);
		return false;
	}
	fclose(f);
	l = strlen(buf);
	while (l && (buf[l - 1] == '\n' || buf[l - 1] == ' '))
		buf[--l] = '\0';
	return true;
}

struct stats {
	int n;
	char name[MAX_STATS][48];
	char val[MAX_STATS][48];
};

/* "name value" lines; 0, or -errno */
static int read_stats(const char *path, struct stats *st)
{
	char line[128];
	FILE *f = fopen(path, "re");

	st->n = 0;
	if (!f)
		return -errno;
	while (st->n < MAX_STATS && fgets(line, sizeof(line), f))
		if (sscanf(line, "%47s %47s", st->name[st->n], st->val[st->n]) == 2)
			st->n++;
	fclose(f);
	return 0;
}

static bool is_num(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* JSON string of @s (our values are plain ASCII; quote and escape anyway) */
static void jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void jval(const char *s)
{
	if (is_num(s))
		fputs(s, stdout);
	else
		jstr(s);
}

static const char *const params[] = {
	"kind", "kind6", "inject", "allowed_gid", "datapath", "return_hook",
	NULL
};
static const char *const rparams[] = { "trusted", "kinds", NULL };

static void status_module(const char *sys, const char *const *pnames,
			  const char *stats_path, const char *label,
			  const struct stats *before, const struct stats *after,
			  double secs, bool first)
{
	char path[256], v[512];
	int i;

	if (json) {
		printf("%s", first ? "" : ",");
		jstr(label);
		printf(":{\"loaded\":true");
	} else {
		printf("%s: loaded\n", label);
	}
	for (i = 0; i < 2; i++) {
		const char *k = i ? "srcversion" : "version";

		snprintf(path, sizeof(path), "%s/%s", sys, k);
		if (!read_line(path, v, sizeof(v)))
			snprintf(v, sizeof(v), "unknown");
		if (json) {
			printf(",\"%s\":", k);
			jstr(v);
		} else {
			printf("  %-12s %s\n", k, v);
		}
	}
	if (json)
		printf(",\"parameters\":{");
	else
		printf("  parameters\n");
	for (i = 0; pnames[i]; i++) {
		snprintf(path, sizeof(path), "%s/parameters/%s", sys, pnames[i]);
		if (!read_line(path, v, sizeof(v)))
			snprintf(v, sizeof(v), "?");
		if (json) {
			printf("%s\"%s\":", i ? "," : "", pnames[i]);
			jval(v);
		} else {
			printf("    %-12s %s\n", pnames[i], v);
		}
	}
	if (json)
		printf("},\"counters\":{");
	else
		printf("  counters (%s)%s\n", stats_path,
		       secs > 0 ? "             per second" : "");
	for (i = 0; i < after->n; i++) {
		double rate = -1;

		if (secs > 0 && i < before->n && is_num(after->val[i]) &&
		    !strcmp(before->name[i], after->name[i]))
			rate = (strtod(after->val[i], NULL) -
				strtod(before->val[i], NULL)) / secs;
		if (json) {
			printf("%s\"%s\":", i ? "," : "", after->name[i]);
			jval(after->val[i]);
		} else if (rate >= 0) {
			printf("    %-20s %-14s %.1f\n", after->name[i],
			       after->val[i], rate);
		} else {
			printf("    %-20s %s\n", after->name[i], after->val[i]);
		}
	}
	if (json) {
		printf("}");
		if (secs > 0) {
			printf(",\"rates\":{\"interval\":%.3f", secs);
			for (i = 0; i < after->n && i < before->n; i++)
				if (is_num(after->val[i]) &&
				    !strcmp(before->name[i], after->name[i]))
					printf(",\"%s\":%.3f", after->name[i],
					       (strtod(after->val[i], NULL) -
						strtod(before->val[i], NULL)) / secs);
			printf("}");
		}
		printf("}");
	}
}

static unsigned long stat_val(const struct stats *st, const char *name)
{
	int i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->name[i], name))
			return strtoul(st->val[i], NULL, 10);
	return 0;
}

/* What the counters say an operator must know, in words. */
static void status_warnings(const struct stats *st)
{
	unsigned long denied = stat_val(st, "pkts_prog_denied");
	unsigned long after = stat_val(st, "pkts_prog_after");

	if (denied)
		printf("  warning: %lu TOA dropped by TCP because a BPF sock_ops program returned\n"
		       "           other than 1 at HDR_OPT_LEN_CB (pkts_prog_denied)\n",
		       denied);
	if (after)
		printf("  note: %lu TOA written before a BPF sock_ops program ran; a program that\n"
		       "        returns other than 1 at WRITE_HDR_OPT_CB removes them (pkts_prog_after)\n",
		       after);
}

/* ---- status -p: the Prometheus text format (node_exporter textfile) ---- */

/* gauges among the counters; every other numeric line is a counter */
static bool prom_gauge(const char *name)
{
	return !strcmp(name, "sockets_live");
}

/* one module: sdp_toa_loaded{module=...}, _info, then its numbers */
static void prom_module(const char *mod, const char *sys,
			const char *stats_path)
{
	char path[256], ver[128], src[128], dp[32];
	struct stats st;
	bool loaded = !access(sys, F_OK) && !read_stats(stats_path, &st);
	int i;

	printf("sdp_toa_loaded{module=\"%s\"} %d\n", mod, loaded);
	if (!loaded)
		return;
	snprintf(path, sizeof(path), "%s/version", sys);
	if (!read_line(path, ver, sizeof(ver)))
		snprintf(ver, sizeof(ver), "unknown");
	snprintf(path, sizeof(path), "%s/srcversion", sys);
	if (!read_line(path, src, sizeof(src)))
		snprintf(src, sizeof(src), "unknown");
	snprintf(dp, sizeof(dp), "-");
	for (i = 0; i < st.n; i++)
		if (!strcmp(st.name[i], "datapath"))
			snprintf(dp, sizeof(dp), "%s", st.val[i]);
	printf("sdp_toa_info{module=\"%s\",version=\"%s\",srcversion=\"%s\",datapath=\"%s\"} 1\n",
	       mod, ver, src, dp);
	for (i = 0; i < st.n; i++) {
		if (!is_num(st.val[i]))
			continue;
		bool gauge = prom_gauge(st.name[i]);
		const char *sfx = gauge ? "" : "_total";

		printf("# TYPE %s_%s%s %s\n%s_%s%s %s\n", mod, st.name[i], sfx,
		       gauge ? "gauge" : "counter", mod, st.name[i], sfx,
		       st.val[i]);
	}
}

/*
 * Always exit 0 with a well-formed file: an absent module is
 * sdp_toa_loaded 0, which is what an alert wants to see.
 */
static int cmd_prometheus(void)
{
	printf("# HELP sdp_toa_loaded Whether the module is loaded.\n"
	       "# TYPE sdp_toa_loaded gauge\n");
	printf("# HELP sdp_toa_info Version, srcversion and data path of a loaded module.\n"
	       "# TYPE sdp_toa_info gauge\n");
	prom_module("sdp_toa", SYS_MOD, SDP_TOA_STATS_PATH);
	prom_module("sdp_toa_recv", SYS_RECV, SDP_TOA_RECV_STATS_PATH);
	return 0;
}

static int cmd_status(double interval)
{
	struct stats b1, a1, b2, a2;
	bool recv = !access(SYS_RECV, F_OK);
	struct timespec ts;
	int err;

	if (access(SYS_MOD, F_OK))
		die2("sdp_toa is not loaded (modprobe sdp_toa)");
	err = read_stats(SDP_TOA_STATS_PATH, &b1);
	if (err)
		die2("%s: %s", SDP_TOA_STATS_PATH, strerror(-err));
	if (recv && read_stats(SDP_TOA_RECV_STATS_PATH, &b2))
		recv = false;
	if (interval > 0) {
		ts.tv_sec = (time_t)interval;
		ts.tv_nsec = (long)((interval - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
	if (read_stats(SDP_TOA_STATS_PATH, &a1))
		die2("%s went away (module unloaded?)", SDP_TOA_STATS_PATH);
	if (recv && read_stats(SDP_TOA_RECV_STATS_PATH, &a2))
		recv = false;
	if (json)
		printf("{");
	status_module(SYS_MOD, params, SDP_TOA_STATS_PATH, "sdp_toa", &b1,
		      &a1, interval, true);
	if (!json)
		status_warnings(&a1);
	if (recv)
		status_module(SYS_RECV, rparams, SDP_TOA_RECV_STATS_PATH,
			      "sdp_toa_recv", &b2, &a2, interval, false);
	else if (json)
		printf(",\"sdp_toa_recv\":{\"loaded\":false}");
	if (json)
		printf("}\n");
	return 0;
}

/* ---- sockets ----------------------------------------------------------- */

#define VIEW_PATH	"/proc/net/sdp_toa_sockets"

/* does "key=VALUE" in @line match @want ("ADDR" or "ADDR:PORT")? */
static bool field_matches(const char *line, const char *key, const char *want)
{
	char pat[96];
	const char *p;
	size_t n;

	if (!want)
		return true;
	snprintf(pat, sizeof(pat), " %s=", key);	/* never the first field */
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	n = strlen(want);
	if (strchr(want, ':') && want[0] != '[' && strchr(want, ':') != strrchr(want, ':')) {
		/* a bare IPv6 address: compare inside the brackets */
		return p[0] == '[' && !strncmp(p + 1, want, n) && p[1 + n] == ']';
	}
	if (strncmp(p, want, n))
		return false;
	/* "ADDR" matches any port; "ADDR:PORT" exactly */
	return p[n] == ' ' || p[n] == '\n' || p[n] == '\0' || p[n] == ':';
}

static int cmd_sockets(const char *backend, const char *client)
{
	static const char *const keys[] = {
		"local", "remote", "client", "kind", "state", "segs", NULL
	};
	static const int width[] = { 28, 28, 28, 4, 11, 0 };	/* text columns */
	char line[512], val[128];
	int n = 0, i;
	FILE *f;

	if (access(SYS_MOD, F_OK))
		die2("sdp_toa is not loaded (modprobe sdp_toa)");
	f = fopen(VIEW_PATH, "re");
	if (!f && errno == ENOENT)
		die2("this module version has no per-socket view (%s); use 'status'",
		     VIEW_PATH);
	if (!f)
		die2("%s: %s%s", VIEW_PATH, strerror(errno),
		     errno == EACCES ? " (needs CAP_NET_ADMIN or allowed_gid)" : "");
	if (json)
		printf("[");
	else
		for (i = 0; keys[i]; i++)
			printf("%-*s%s", width[i], keys[i], keys[i + 1] ? " " : "\n");
	while (fgets(line, sizeof(line), f)) {
		if (!field_matches(line, "remote", backend) ||
		    !field_matches(line, "client", client))
			continue;
		if (json)
			printf("%s{", n ? "," : "");
		for (i = 0; keys[i]; i++) {
			char pat[32];
			const char *p;

			snprintf(pat, sizeof(pat), "%s=", keys[i]);
			p = strstr(line, pat);
			val[0] = '\0';
			if (p)
				sscanf(p + strlen(pat), "%127s", val);
			if (json) {
				printf("%s\"%s\":", i ? "," : "", keys[i]);
				jval(val);
			} else {
				printf("%-*s%s", width[i], val,
				       keys[i + 1] ? " " : "\n");
			}
		}
		if (json)
			printf("}");
		n++;
	}
	fclose(f);
	if (json)
		printf("]\n");
	return 0;
}

/* ---- check ------------------------------------------------------------- */

static bool check_failed;
static char check_why[512];

static void verdict(bool pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void verdict(bool pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(check_why, sizeof(check_why), fmt, ap);
	va_end(ap);
	check_failed = !pass;
	if (json) {
		printf("{\"check\":\"%s\",\"reason\":", pass ? "pass" : "fail");
		jstr(check_why);
		printf("}\n");
	} else {
		printf("%s: %s\n", pass ? "pass" : "fail", check_why);
	}
}

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die2("socket: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die2("lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die2("bringing lo up: %s", strerror(errno));
	close(fd);
}

static int param_int(const char *name, int dflt)
{
	char path[128], v[64];

	snprintf(path, sizeof(path), SYS_MOD "/parameters/%s", name);
	if (!read_line(path, v, sizeof(v)))
		return dflt;
	return atoi(v);
}

/*
 * The client's first non-SYN segment to the listener: the handshake ACK.
 * Returns its TCP option area length (copied to @opts), or -1.
 */
static int capture_ack(int pfd, uint16_t lport, uint16_t cport, uint8_t *opts)
{
	uint8_t buf[2048];
	struct sockaddr_ll sll;
	socklen_t sl;
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	int tries;

	for (tries = 0; tries < 200; tries++) {
		const struct iphdr *ip = (const void *)buf;
		const struct tcphdr *th;
		ssize_t r;
		int hl, ol;

		if (poll(&p, 1, 20) <= 0)
			continue;
		sl = sizeof(sll);
		r = recvfrom(pfd, buf, sizeof(buf), 0, (struct sockaddr *)&sll, &sl);
		if (r < (ssize_t)sizeof(*ip) || sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (ip->version != 4 || ip->protocol != IPPROTO_TCP)
			continue;
		hl = ip->ihl * 4;
		if (r < hl + (ssize_t)sizeof(*th))
			continue;
		th = (const void *)(buf + hl);
		if (ntohs(th->dest) != lport || ntohs(th->source) != cport ||
		    th->syn || !th->ack)
			continue;
		ol = th->doff * 4 - (int)sizeof(*th);
		if (ol < 0 || hl + (int)sizeof(*th) + ol > r)
			return -1;
		memcpy(opts, th + 1, ol);
		return ol;
	}
	return -1;
}

/* @want_kind: the kind the backends' receivers read (-1: the module's own) */
static int cmd_check(const char *client_s, int want_kind)
{
	struct sockaddr_in lis = { .sin_family = AF_INET }, cli;
	struct sockaddr_in tag = { .sin_family = AF_INET };
	char a[64], hex[200];
	uint8_t opts[64];
	struct toa_found f;
	socklen_t l = sizeof(lis);
	int lfd, cfd, afd, pfd, kind, kind6, n, i, on = 1;
	char *colon;

	if (access(SYS_MOD, F_OK)) {
		verdict(false, "sdp_toa is not loaded (modprobe sdp_toa)");
		return 1;
	}
	/* the client address the test tags with (documentation range) */
	snprintf(a, sizeof(a), "%s", client_s);
	colon = strrchr(a, ':');
	if (!colon)
		die2("--client wants a.b.c.d:port");
	*colon = '\0';
	if (inet_pton(AF_INET, a, &tag.sin_addr) != 1)
		die2("--client wants a.b.c.d:port");
	tag.sin_port = htons((uint16_t)atoi(colon + 1));
	kind = param_int("kind", TOA_DEFAULT_KIND);
	kind6 = param_int("kind6", TOA_DEFAULT_KIND);
	if (want_kind >= 0)
		kind = kind6 = want_kind;

	/* a private network namespace: the host's traffic is not touched */
	if (unshare(CLONE_NEWNET) < 0)
		die2("a private network namespace for the test: %s (run as root)",
		     strerror(errno));
	lo_up();
	pfd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (pfd < 0)
		die2("packet socket: %s", strerror(errno));
	lis.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(lfd, (void *)&lis, sizeof(lis)) || listen(lfd, 4) ||
	    getsockname(lfd, (void *)&lis, &l))
		die2("listener: %s", strerror(errno));
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0)
		die2("socket: %s", strerror(errno));
	if (setsockopt(cfd, IPPROTO_IP, SDP_TOA_SO_SET, &tag, sizeof(tag)) < 0) {
		verdict(false, "tagging refused: %s%s", strerror(errno),
			errno == EPERM ? " (not root and not in allowed_gid)" : "");
		return 1;
	}
	if (connect(cfd, (void *)&lis, sizeof(lis)) < 0)
		die2("connect: %s", strerror(errno));
	l = sizeof(cli);
	getsockname(cfd, (void *)&cli, &l);
	afd = accept(lfd, NULL, NULL);
	n = capture_ack(pfd, ntohs(lis.sin_port), ntohs(cli.sin_port), opts);
	close(cfd);
	if (afd >= 0)
		close(afd);
	close(lfd);
	close(pfd);
	if (n < 0) {
		verdict(false, "no handshake ACK captured on lo");
		return 1;
	}
	hex[0] = '\0';
	for (i = 0; i < n && i < 60; i++)
		snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02x", opts[i]);
	i = toa_opt_decode(opts, n, (uint8_t)kind, (uint8_t)kind6, &f);
	if (i < 0) {
		verdict(false, "the handshake ACK's option area does not parse: %s",
			hex);
		return 1;
	}
	if (i == 0) {
		verdict(false, "the handshake ACK carries no TOA of kind %d/%d (options: %s)",
			kind, kind6, n ? hex : "none");
		return 1;
	}
	if (f.addr.family != TOA_AF_INET || f.addr.a.v4 != tag.sin_addr.s_addr ||
	    f.addr.port != tag.sin_port) {
		verdict(false, "the TOA (kind %u, %u bytes) carries another address than the tag",
			f.kind, f.len);
		return 1;
	}
	inet_ntop(AF_INET, &tag.sin_addr, a, sizeof(a));
	verdict(true, "the handshake ACK carries TOA kind %u, %u bytes: a receiver sees %s:%u",
		f.kind, f.len, a, ntohs(tag.sin_port));
	return 0;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: sdp-toa status [-i SECS] [-j | -p]\n"
"       sdp-toa check [-j] [--client a.b.c.d:port] [--kind K]\n"
"       sdp-toa sockets [-j] [--backend ADDR[:PORT]] [--client ADDR[:PORT]]\n"
"See sdp-toa(8).\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", 0, 0, 'j' }, { "interval", 1, 0, 'i' },
		{ "client", 1, 0, 'c' }, { "help", 0, 0, 'h' },
		{ "kind", 1, 0, 'k' }, { "backend", 1, 0, 'b' },
		{ "prometheus", 0, 0, 'p' },
		{ 0, 0, 0, 0 },
	};
	const char *cmd, *client = "203.0.113.1:4242", *backend = NULL,
		   *client_filter = NULL;
	double interval = 0;
	int c, want_kind = -1;
	bool prom = false;

	if (argc < 2)
		usage(2);
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		usage(0);
	optind = 2;
	while ((c = getopt_long(argc, argv, "ji:ph", lo, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'p': prom = true; break;
		case 'i': interval = strtod(optarg, NULL); break;
		case 'c': client = client_filter = optarg; break;
		case 'b': backend = optarg; break;
		case 'k':
			want_kind = atoi(optarg);
			if (want_kind < 0 || want_kind > 255)
				die2("--kind 0..255");
			break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (prom && (json || interval > 0 || strcmp(cmd, "status")))
		usage(2);
	if (!strcmp(cmd, "status"))
		return prom ? cmd_prometheus() : cmd_status(interval);
	if (!strcmp(cmd, "check"))
		return cmd_check(client, want_kind);
	if (!strcmp(cmd, "sockets"))
		return cmd_sockets(backend, client_filter);
	usage(2);
	return 2;
}
