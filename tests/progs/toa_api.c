// SPDX-License-Identifier: GPL-2.0
/*
 * toa_api - table-driven test of the SDP_TOA_SO_SET / SDP_TOA_SO_GET API.
 *
 *   toa_api                      as root, module loaded: every error and
 *                                happy path, GET normalisation, counters
 *   toa_api --unloaded           module not loaded: ENOPROTOOPT everywhere
 *   toa_api --as-user UID:GID [--groups G1,G2]
 *                                privilege rules for that user (EPERM unless
 *                                the module's allowed_gid is one of its
 *                                groups; CAP_NET_ADMIN counts only in the
 *                                socket's network namespace)
 *
 * Each case: a fresh socket of some kind (TCP/UDP, AF_INET/AF_INET6,
 * unconnected/listening/connected over loopback), optionally tagged first
 * with T0, one SET or GET call, then checks: the errno; the counters
 * (invalid, denied, sockets_tagged, sockets_cleared, sockets_live) moved by
 * exactly what the call should do; the tag afterwards (a failed call changes
 * nothing: GET still returns T0, or ENOENT); GET returns the exact struct
 * (padding zero) in the form the socket decides. After close, sockets_live
 * is back where it was.
 *
 * Counting rules checked: "invalid" grows by one for every call the module
 * refuses for bad input (EINVAL, EAFNOSUPPORT, EFAULT, and ENOPROTOOPT when
 * the call reached the module: UDP, or IPPROTO_IP on an AF_INET6 socket);
 * calls the kernel refuses itself (IPPROTO_IPV6 on an AF_INET socket, an
 * unreadable value on an AF_INET6 socket: do_ipv6_setsockopt reads its first
 * int) and GET's ENOENT count nothing; "denied" grows by one per EPERM.
 *
 * Prints "ok N - what" / "not ok N - what: why" per case, then
 * "N passed, N failed" (and ", N skipped"); exit status 1 on any failure.
 * Uses 127.0.0.1 and ::1 (brings lo up if it is down); run it in a netns.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sdp_toa.h"
#include "tt.h"

#define PARAM_DIR	"/sys/module/sdp_toa/parameters"

/* ---- sockets ------------------------------------------------------------ */
enum sk {
	SK_TCP4, SK_TCP6, SK_UDP4, SK_UDP6, SK_LISTEN4, SK_LISTEN6,
	SK_CONN4,	/* AF_INET connected to 127.0.0.1 */
	SK_CONN6,	/* AF_INET6 connected to ::1 */
	SK_CONN6M,	/* AF_INET6 connected to ::ffff:127.0.0.1 */
	SK_N
};
static const char *const sk_name[SK_N] = {
	"tcp4", "tcp6", "udp4", "udp6", "listening tcp4", "listening tcp6",
	"tcp4 connected", "tcp6 connected", "tcp6 connected to ::ffff:127.0.0.1",
};
static int sk_family(int sk)
{
	switch (sk) {
	case SK_TCP4: case SK_UDP4: case SK_LISTEN4: case SK_CONN4:
		return AF_INET;
	}
	return AF_INET6;
}
static bool sk_gettable(int sk)	/* a TCP socket that may hold a tag */
{
	return sk == SK_TCP4 || sk == SK_TCP6 || sk == SK_CONN4 ||
	       sk == SK_CONN6 || sk == SK_CONN6M;
}
/* Does TOA go in the 20-byte form on this socket for an IPv4 client? */
static bool sk_v6_form(int sk)
{
	return sk_family(sk) == AF_INET6 && sk != SK_CONN6M;
}

static int lfd4 = -1, lfd6 = -1;
static struct sockaddr_in l4addr;
static struct sockaddr_in6 l6addr, l4mapped;

static void drain_accept(void)
{
	int fd;

	while ((fd = accept4(lfd4, NULL, NULL, SOCK_NONBLOCK)) >= 0)
		close(fd);
	while ((fd = accept4(lfd6, NULL, NULL, SOCK_NONBLOCK)) >= 0)
		close(fd);
}

static void lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die_errno("SIOCGIFFLAGS lo");
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			die_errno("bring lo up");
		tt_sleep(0.2);	/* ::1 appears on lo shortly after */
	}
	close(fd);
}

static void listeners(void)
{
	socklen_t l;
	int one = 1;

	lfd4 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	lfd6 = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd4 < 0 || lfd6 < 0)
		die_errno("socket");
	setsockopt(lfd6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	memset(&l4addr, 0, sizeof(l4addr));
	l4addr.sin_family = AF_INET;
	l4addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&l6addr, 0, sizeof(l6addr));
	l6addr.sin6_family = AF_INET6;
	l6addr.sin6_addr = in6addr_loopback;
	if (bind(lfd4, (void *)&l4addr, sizeof(l4addr)) < 0 ||
	    bind(lfd6, (void *)&l6addr, sizeof(l6addr)) < 0)
		die_errno("bind loopback listeners (is lo up?)");
	if (listen(lfd4, 4096) < 0 || listen(lfd6, 4096) < 0)
		die_errno("listen");
	l = sizeof(l4addr);
	getsockname(lfd4, (void *)&l4addr, &l);
	l = sizeof(l6addr);
	getsockname(lfd6, (void *)&l6addr, &l);
	tt_to_v6((void *)&l4addr, &l4mapped);
}

static void close_rst(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static int make_sock(int sk)
{
	int fam = sk_family(sk), fd, r = 0;
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };

	fd = socket(fam, sk == SK_UDP4 || sk == SK_UDP6 ? SOCK_DGRAM
							: SOCK_STREAM, 0);
	if (fd < 0)
		die_errno("socket(%s)", sk_name[sk]);
	switch (sk) {
	case SK_LISTEN4:
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r = bind(fd, (void *)&a4, sizeof(a4)) || listen(fd, 8);
		break;
	case SK_LISTEN6:
		a6.sin6_addr = in6addr_loopback;
		r = bind(fd, (void *)&a6, sizeof(a6)) || listen(fd, 8);
		break;
	case SK_CONN4:
		r = connect(fd, (void *)&l4addr, sizeof(l4addr));
		break;
	case SK_CONN6:
		r = connect(fd, (void *)&l6addr, sizeof(l6addr));
		break;
	case SK_CONN6M:
		r = connect(fd, (void *)&l4mapped, sizeof(l4mapped));
		break;
	}
	if (r)
		die_errno("setting up a %s socket", sk_name[sk]);
	return fd;
}

/* ---- values ------------------------------------------------------------- */
enum val {
	V_IN4,		/* 203.0.113.7:4000 */
	V_MAPPED,	/* [::ffff:203.0.113.8]:4008 */
	V_IN6,		/* [2001:db8:c::7]:4006 */
	V_T0,		/* 203.0.113.200:4200, the pre-tag */
	V_T0_6,		/* [2001:db8:c::200]:4201 */
	V_ANY4,		/* 0.0.0.0:4000 */
	V_ANY6,		/* [::]:4000 */
	V_ANYMAPPED,	/* [::ffff:0.0.0.0]:4000 */
	V_UNSPEC,	/* struct sockaddr, AF_UNSPEC */
	V_UNSPEC6,	/* struct sockaddr_in6 with AF_UNSPEC */
	V_FAM,		/* sa_family = case's fam, the rest an IPv4 value */
	V_NULL,		/* NULL pointer */
	V_UNMAPPED,	/* pointer into a PROT_NONE page */
	V_STRADDLE,	/* first 8 bytes readable, the rest PROT_NONE */
	V_N
};
static const char *const val_text[V_N] = {
	"203.0.113.7:4000", "[::ffff:203.0.113.8]:4008", "[2001:db8:c::7]:4006",
	"203.0.113.200:4200", "[2001:db8:c::200]:4201", "0.0.0.0:4000",
	"[::]:4000", "[::ffff:0.0.0.0]:4000", "AF_UNSPEC", "AF_UNSPEC (in6)",
	"family", "NULL", "unmapped", "straddling an unmapped page",
};

static uint8_t *guard;		/* page 0 rw, page 1 PROT_NONE */
static long pagesz;

static void guard_init(void)
{
	pagesz = sysconf(_SC_PAGESIZE);
	guard = mmap(NULL, 2 * pagesz, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED || mprotect(guard + pagesz, pagesz, PROT_NONE))
		die_errno("mmap guard pages");
}

/* Natural length of a value */
static socklen_t val_len(int v)
{
	switch (v) {
	case V_IN4: case V_T0: case V_ANY4: case V_FAM: case V_NULL:
	case V_UNMAPPED: case V_STRADDLE:
		return sizeof(struct sockaddr_in);
	case V_UNSPEC:
		return sizeof(struct sockaddr);
	}
	return sizeof(struct sockaddr_in6);
}

static bool val_is_clear(int v)
{
	return v == V_UNSPEC || v == V_UNSPEC6;
}

/* The value's bytes in a 256-byte area (garbage after the struct). */
static const void *val_ptr(int v, int fam, uint8_t *area)
{
	struct sockaddr_storage ss;
	socklen_t l;
	const char *txt = val_text[v];

	memset(area, 0x5a, 256);
	switch (v) {
	case V_NULL:
		return NULL;
	case V_UNMAPPED:
		return guard + pagesz;
	case V_UNSPEC:
	case V_UNSPEC6:
		memset(area, 0, val_len(v));
		((struct sockaddr *)area)->sa_family = AF_UNSPEC;
		return area;
	case V_FAM:
	case V_STRADDLE:
		txt = val_text[V_IN4];
		break;
	}
	if (tt_addr_parse(txt, &ss, &l, true))
		die("internal: value %s", txt);
	memcpy(area, &ss, l);
	if (v == V_FAM)
		((struct sockaddr *)area)->sa_family = fam;
	if (v == V_STRADDLE) {
		memcpy(guard + pagesz - 8, area, 8);
		return guard + pagesz - 8;
	}
	return area;
}

/*
 * What GET must return on socket kind @sk tagged with value @v: the client
 * normalised (v4-mapped is IPv4), as sockaddr_in for the 8-byte form, else
 * sockaddr_in6 (IPv4 as ::ffff:a.b.c.d). All other bytes zero.
 */
static socklen_t expected_get(int sk, int v, struct sockaddr_storage *out)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (void *)&ss;
	struct sockaddr_in *s4 = (void *)out;
	socklen_t l;
	bool v4;

	if (tt_addr_parse(val_text[v], &ss, &l, true))
		die("internal: value %s", val_text[v]);
	if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		in_port_t port = s6->sin6_port;
		struct in_addr a;

		memcpy(&a, &s6->sin6_addr.s6_addr[12], 4);
		memset(&ss, 0, sizeof(ss));
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = port;
		((struct sockaddr_in *)&ss)->sin_addr = a;
	}
	v4 = ss.ss_family == AF_INET;
	memset(out, 0, sizeof(*out));
	if (v4 && !sk_v6_form(sk)) {
		memcpy(s4, &ss, sizeof(*s4));
		return sizeof(*s4);
	}
	return tt_to_v6((void *)&ss, (struct sockaddr_in6 *)out);
}

/* ---- counters ---------------------------------------------------------- */
static bool have_stats;

enum { C_TAGGED, C_CLEARED, C_LIVE, C_DENIED, C_INVALID, C_N };
static const char *const c_name[C_N] = {
	"sockets_tagged", "sockets_cleared", "sockets_live", "denied",
	"invalid",
};

static void stats_now(long long *v)
{
	struct tt_stats st;
	int i, err;

	if (!have_stats) {
		memset(v, 0, sizeof(long long) * C_N);
		return;
	}
	err = tt_stats_read(&st);
	if (err)
		die("read %s: %s", SDP_TOA_STATS_PATH, tt_errstr(-err));
	for (i = 0; i < C_N; i++)
		v[i] = tt_stat(&st, c_name[i]);
}

/* ---- reporting --------------------------------------------------------- */
static int n_case, n_pass, n_fail, n_skip;
static char why[1024];

static void whyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void whyf(const char *fmt, ...)
{
	size_t l = strlen(why);
	va_list ap;

	if (l >= sizeof(why) - 4)
		return;
	if (l)
		snprintf(why + l, sizeof(why) - l, "; "), l += 2;
	va_start(ap, fmt);
	vsnprintf(why + l, sizeof(why) - l, fmt, ap);
	va_end(ap);
}

static void report(const char *what)
{
	n_case++;
	if (why[0]) {
		n_fail++;
		printf("not ok %d - %s: %s\n", n_case, what, why);
	} else {
		n_pass++;
		printf("ok %d - %s\n", n_case, what);
	}
	why[0] = 0;
}

static void skip(const char *what, const char *reason)
{
	n_case++;
	n_skip++;
	printf("ok %d - %s # SKIP %s\n", n_case, what, reason);
}

/* ---- the generic case -------------------------------------------------- */
enum op { SET, GET };
#define L_AUTO	(-1)

struct spec {
	int sk, op, level, optname, val, fam, len;
	bool pretag;
	int err;		/* expected errno, 0 = success */
	int pretag_val;		/* V_T0 unless set */
	const char *note;
};

static const char *level_name(int level)
{
	return level == IPPROTO_IP ? "IPPROTO_IP" :
	       level == IPPROTO_IPV6 ? "IPPROTO_IPV6" : "level?";
}

/* Check the tag on @fd: @v < 0 means "no tag" (ENOENT). */
static void check_tag(int fd, int sk, int v, const char *when)
{
	struct sockaddr_storage got, want;
	socklen_t gl = sizeof(got), wl;
	char a[TT_ADDRSTRLEN], b[TT_ADDRSTRLEN];
	int err;

	memset(&got, 0xa5, sizeof(got));
	err = getsockopt(fd, sk_family(sk) == AF_INET ? IPPROTO_IP
						      : IPPROTO_IPV6,
			 SDP_TOA_SO_GET, &got, &gl) < 0 ? errno : 0;
	if (v < 0) {
		if (err != ENOENT)
			whyf("%s GET: %s, expected ENOENT (no tag)", when,
			     err ? tt_errstr(err) : "a tag");
		return;
	}
	wl = expected_get(sk, v, &want);
	if (err) {
		whyf("%s GET: %s, expected %s", when, tt_errstr(err),
		     tt_addr_str((void *)&want, b, sizeof(b)));
		return;
	}
	if (gl != wl || memcmp(&got, &want, wl))
		whyf("%s GET returned %s (length %u), expected %s (length %u%s)",
		     when, tt_addr_str((void *)&got, a, sizeof(a)), gl,
		     tt_addr_str((void *)&want, b, sizeof(b)), wl,
		     gl == wl ? ", padding differs" : "");
}

/*
 * Does the call get to the module (which then counts "invalid")? Not when
 * the kernel answers first: ip_setsockopt/do_ip_getsockopt refuse other
 * levels on AF_INET sockets, and do_ipv6_setsockopt reads the first int of
 * any value of 4 bytes or more before it looks at the option number (so an
 * unreadable value is the kernel's EFAULT there; see run()).
 */
static bool reaches_module(int sk, int level, int optname)
{
	if (optname != SDP_TOA_SO_SET && optname != SDP_TOA_SO_GET)
		return false;
	/* ip_setsockopt/do_ip_getsockopt refuse other levels themselves */
	return !(sk_family(sk) == AF_INET && level != IPPROTO_IP);
}

static void run(const struct spec *c)
{
	long long before[C_N], after[C_N], base[C_N], want[C_N];
	uint8_t area[256] __attribute__((aligned(8)));
	struct sockaddr_storage got, expv;
	int level = c->level, optname = c->optname, fd, err, i, pv;
	socklen_t len = c->len >= 0 ? (socklen_t)c->len : val_len(c->val);
	socklen_t gl, el;
	const void *p;
	char what[300], a[TT_ADDRSTRLEN], b[TT_ADDRSTRLEN];
	double end;

	pv = c->pretag_val ? c->pretag_val : V_T0;
	if (level == L_AUTO)
		level = sk_family(c->sk) == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	if (!optname)
		optname = c->op == SET ? SDP_TOA_SO_SET : SDP_TOA_SO_GET;
	if (c->val == V_FAM)
		snprintf(a, sizeof(a), "family %d", c->fam);
	else
		snprintf(a, sizeof(a), "%s", val_text[c->val]);
	if (optname != SDP_TOA_SO_SET && optname != SDP_TOA_SO_GET)
		snprintf(b, sizeof(b), " optname=%d", optname);
	else
		b[0] = 0;
	snprintf(what, sizeof(what), "%s %s%s %s%s %s%s len=%u -> %s%s%s",
		 c->op == SET ? "SET" : "GET", sk_name[c->sk],
		 c->pretag ? " (tagged)" : "", level_name(level), b,
		 c->op == GET && c->val != V_NULL && c->val != V_UNMAPPED ?
		 "buffer" : a, c->op == GET ? "" : "", len,
		 c->err ? tt_errno_name(c->err) : "ok", c->note ? " " : "",
		 c->note ? c->note : "");

	stats_now(base);
	fd = make_sock(c->sk);
	if (c->pretag) {
		p = val_ptr(pv, 0, area);
		if (tt_toa_set(fd, p, val_len(pv))) {
			whyf("setup: tagging with %s failed: %s", val_text[pv],
			     tt_errstr(errno));
			close_rst(fd);
			report(what);
			return;
		}
	}

	stats_now(before);
	if (c->op == SET) {
		p = val_ptr(c->val, c->fam, area);
		err = setsockopt(fd, level, optname, p, len) < 0 ? errno : 0;
	} else {
		memset(&got, 0xa5, sizeof(got));
		gl = len;
		p = c->val == V_NULL ? NULL :
		    c->val == V_UNMAPPED ? guard + pagesz : (void *)&got;
		err = getsockopt(fd, level, optname, (void *)p, &gl) < 0 ?
		      errno : 0;
	}
	stats_now(after);

	if (err != c->err)
		whyf("got %s, expected %s", err ? tt_errstr(err) : "success",
		     c->err ? tt_errno_name(c->err) : "success");

	/* counters: exactly what this call should have done */
	memset(want, 0, sizeof(want));
	if (c->err == EPERM)
		want[C_DENIED] = 1;
	if ((c->err == EINVAL || c->err == EAFNOSUPPORT || c->err == EFAULT ||
	     c->err == ENOPROTOOPT) && reaches_module(c->sk, level, optname) &&
	    !(c->op == SET && level == IPPROTO_IPV6 && c->val == V_UNMAPPED &&
	      len >= sizeof(int)))
		want[C_INVALID] = 1;
	if (c->op == SET && !c->err && !val_is_clear(c->val) && !c->pretag)
		want[C_TAGGED] = want[C_LIVE] = 1;
	if (c->op == SET && !c->err && val_is_clear(c->val) && c->pretag) {
		want[C_CLEARED] = 1;
		want[C_LIVE] = -1;
	}
	if (have_stats && err == c->err)
		for (i = 0; i < C_N; i++)
			if (after[i] - before[i] != want[i])
				whyf("%s moved by %lld, expected %lld",
				     c_name[i], after[i] - before[i], want[i]);

	/* the tag afterwards */
	if (sk_gettable(c->sk) && have_stats) {
		if (c->op == SET && !c->err)
			check_tag(fd, c->sk, val_is_clear(c->val) ? -1 : c->val,
				  "afterwards");
		else
			check_tag(fd, c->sk, c->pretag ? pv : -1,
				  "afterwards (unchanged)");
	}
	/* a successful GET returned the exact struct */
	if (c->op == GET && !c->err && !err && c->pretag) {
		el = expected_get(c->sk, pv, &expv);
		if (gl != el || memcmp(&got, &expv, el))
			whyf("GET returned %s (length %u), expected %s (length %u)",
			     tt_addr_str((void *)&got, a, sizeof(a)), gl,
			     tt_addr_str((void *)&expv, b, sizeof(b)), el);
	}
	close_rst(fd);
	drain_accept();

	/* closing gave back what tagging took */
	if (have_stats) {
		end = tt_now() + 2;
		do {
			stats_now(after);
			if (after[C_LIVE] == base[C_LIVE])
				break;
			tt_sleep(0.01);
		} while (tt_now() < end);
		if (after[C_LIVE] != base[C_LIVE])
			whyf("after close sockets_live is %lld, was %lld",
			     after[C_LIVE], base[C_LIVE]);
	}
	report(what);
}

/* ---- the tables --------------------------------------------------------- */
#define A L_AUTO
static const struct spec basic[] = {
	/* not TCP, wrong level, other option numbers */
	{ SK_UDP4, SET, A, 0, V_IN4, 0, -1, 0, ENOPROTOOPT, 0, "(not TCP)" },
	{ SK_UDP4, GET, A, 0, V_IN4, 0, 128, 0, ENOPROTOOPT, 0, "(not TCP)" },
	{ SK_UDP6, SET, A, 0, V_IN6, 0, -1, 0, ENOPROTOOPT, 0, "(not TCP)" },
	{ SK_UDP6, GET, A, 0, V_IN6, 0, 128, 0, ENOPROTOOPT, 0, "(not TCP)" },
	{ SK_UDP6, SET, IPPROTO_IP, 0, V_IN4, 0, -1, 0, ENOPROTOOPT, 0, "(not TCP)" },
	{ SK_TCP6, SET, IPPROTO_IP, 0, V_IN4, 0, -1, 0, ENOPROTOOPT, 0, "(wrong level)" },
	{ SK_TCP6, SET, IPPROTO_IP, 0, V_IN4, 0, -1, 1, ENOPROTOOPT, 0, "(wrong level)" },
	{ SK_TCP6, GET, IPPROTO_IP, 0, V_IN4, 0, 128, 1, ENOPROTOOPT, 0, "(wrong level)" },
	{ SK_TCP4, SET, IPPROTO_IPV6, 0, V_IN4, 0, -1, 0, ENOPROTOOPT, 0, "(wrong level, kernel)" },
	{ SK_TCP4, SET, IPPROTO_IPV6, 0, V_IN6, 0, -1, 1, ENOPROTOOPT, 0, "(wrong level, kernel)" },
	/* getsockopt at a foreign level on AF_INET: do_ip_getsockopt says
	 * EOPNOTSUPP before any module is asked */
	{ SK_TCP4, GET, IPPROTO_IPV6, 0, V_IN4, 0, 128, 1, EOPNOTSUPP, 0, "(wrong level, kernel)" },
	{ SK_TCP4, SET, A, SDP_TOA_SO_MAX + 1, V_IN4, 0, -1, 0, ENOPROTOOPT, 0, "(no such option)" },
	{ SK_TCP6, SET, A, SDP_TOA_SO_MAX + 1, V_IN6, 0, -1, 0, ENOPROTOOPT, 0, "(no such option)" },
	/* listening sockets */
	{ SK_LISTEN4, SET, A, 0, V_IN4, 0, -1, 0, EINVAL, 0, NULL },
	{ SK_LISTEN6, SET, A, 0, V_IN6, 0, -1, 0, EINVAL, 0, NULL },
	{ SK_LISTEN4, SET, A, 0, V_UNSPEC, 0, -1, 0, EINVAL, 0, NULL },
	/* unspecified addresses */
	{ SK_TCP4, SET, A, 0, V_ANY4, 0, -1, 0, EINVAL, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_ANY4, 0, -1, 1, EINVAL, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_ANY6, 0, -1, 1, EINVAL, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_ANYMAPPED, 0, -1, 1, EINVAL, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_ANY4, 0, -1, 1, EINVAL, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_ANY6, 0, -1, 0, EINVAL, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_ANY6, 0, -1, 1, EINVAL, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_ANYMAPPED, 0, -1, 1, EINVAL, 0, NULL },
	{ SK_CONN4, SET, A, 0, V_ANY4, 0, -1, 1, EINVAL, 0, NULL },
	/* other families */
	{ SK_TCP4, SET, A, 0, V_FAM, AF_UNIX, 16, 0, EAFNOSUPPORT, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_FAM, AF_UNIX, 16, 1, EAFNOSUPPORT, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_FAM, AF_PACKET, 28, 1, EAFNOSUPPORT, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_FAM, 0xffff, 16, 1, EAFNOSUPPORT, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_FAM, AF_INET6, 16, 1, EINVAL, 0, "(AF_INET6 in 16 bytes)" },
	/* bad pointers */
	{ SK_TCP4, SET, A, 0, V_NULL, 0, 16, 0, EFAULT, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_NULL, 0, 16, 1, EFAULT, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_UNMAPPED, 0, 28, 1, EFAULT, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_STRADDLE, 0, 16, 1, EFAULT, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_STRADDLE, 0, 16, 1, EFAULT, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_UNMAPPED, 0, 16, 1, EFAULT, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_NULL, 0, 28, 1, EFAULT, 0, NULL },
	{ SK_TCP4, GET, A, 0, V_NULL, 0, 128, 1, EFAULT, 0, NULL },
	{ SK_TCP6, GET, A, 0, V_UNMAPPED, 0, 128, 1, EFAULT, 0, NULL },
	/* GET without a tag */
	{ SK_TCP4, GET, A, 0, V_IN4, 0, 128, 0, ENOENT, 0, NULL },
	{ SK_TCP6, GET, A, 0, V_IN4, 0, 128, 0, ENOENT, 0, NULL },
	{ SK_CONN4, GET, A, 0, V_IN4, 0, 128, 0, ENOENT, 0, NULL },
	/* happy paths and the form GET returns */
	{ SK_TCP4, SET, A, 0, V_IN4, 0, -1, 0, 0, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_MAPPED, 0, -1, 0, 0, 0, "(GET: sockaddr_in)" },
	{ SK_TCP4, SET, A, 0, V_IN6, 0, -1, 0, 0, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_IN4, 0, -1, 0, 0, 0, "(GET: ::ffff: before connect)" },
	{ SK_TCP6, SET, A, 0, V_MAPPED, 0, -1, 0, 0, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_IN6, 0, -1, 0, 0, 0, NULL },
	{ SK_CONN4, SET, A, 0, V_IN4, 0, -1, 0, 0, 0, "(after connect)" },
	{ SK_CONN4, SET, A, 0, V_MAPPED, 0, -1, 0, 0, 0, "(GET: sockaddr_in)" },
	{ SK_CONN4, SET, A, 0, V_IN6, 0, -1, 0, 0, 0, NULL },
	{ SK_CONN6, SET, A, 0, V_IN4, 0, -1, 0, 0, 0, "(GET: ::ffff:)" },
	{ SK_CONN6, SET, A, 0, V_MAPPED, 0, -1, 0, 0, 0, "(GET: ::ffff:)" },
	{ SK_CONN6, SET, A, 0, V_IN6, 0, -1, 0, 0, 0, NULL },
	{ SK_CONN6M, SET, A, 0, V_IN4, 0, -1, 0, 0, 0, "(GET: sockaddr_in)" },
	{ SK_CONN6M, SET, A, 0, V_MAPPED, 0, -1, 0, 0, 0, "(GET: sockaddr_in)" },
	{ SK_CONN6M, SET, A, 0, V_IN6, 0, -1, 0, 0, 0, NULL },
	/* SET on either family's socket with the other family's value */
	{ SK_TCP4, SET, A, 0, V_IN6, 0, -1, 1, 0, 0, "(re-tag)" },
	{ SK_TCP6, SET, A, 0, V_IN4, 0, -1, 1, 0, V_T0_6, "(re-tag)" },
	{ SK_CONN6M, SET, A, 0, V_IN4, 0, -1, 1, 0, V_T0_6, "(re-tag)" },
	/* GET of a tag */
	{ SK_TCP4, GET, A, 0, V_IN4, 0, 16, 1, 0, 0, NULL },
	{ SK_TCP6, GET, A, 0, V_IN4, 0, 28, 1, 0, 0, NULL },
	{ SK_TCP6, GET, A, 0, V_IN4, 0, 28, 1, 0, V_T0_6, NULL },
	{ SK_CONN6M, GET, A, 0, V_IN4, 0, 16, 1, 0, 0, NULL },
	{ SK_CONN6, GET, A, 0, V_IN4, 0, 27, 1, EINVAL, 0, NULL },
	/* clearing */
	{ SK_TCP4, SET, A, 0, V_UNSPEC, 0, -1, 1, 0, 0, NULL },
	{ SK_TCP6, SET, A, 0, V_UNSPEC6, 0, -1, 1, 0, V_T0_6, NULL },
	{ SK_CONN6M, SET, A, 0, V_UNSPEC, 0, -1, 1, 0, 0, NULL },
	{ SK_TCP4, SET, A, 0, V_UNSPEC, 0, -1, 0, 0, 0, "(nothing to clear)" },
	{ SK_TCP6, SET, A, 0, V_UNSPEC, 0, 2, 0, 0, 0, "(nothing to clear)" },
};
#undef A

static void sweeps(void)
{
	static const struct { int sk, val, min; } sv[] = {
		{ SK_TCP4, V_IN4, 16 }, { SK_TCP6, V_IN4, 16 },
		{ SK_TCP4, V_IN6, 28 }, { SK_TCP6, V_IN6, 28 },
		{ SK_TCP4, V_UNSPEC6, 2 }, { SK_TCP6, V_UNSPEC6, 2 },
	};
	struct spec c;
	size_t i;
	int len;

	/* SET value length: below the family's struct or above 128 */
	for (i = 0; i < sizeof(sv) / sizeof(sv[0]); i++) {
		for (len = 0; len <= 130; len++) {
			memset(&c, 0, sizeof(c));
			c.sk = sv[i].sk;
			c.op = SET;
			c.level = L_AUTO;
			c.val = sv[i].val;
			c.len = len;
			/* a clear must have something to clear; a failed tag
			 * must leave the earlier tag in place */
			c.pretag = val_is_clear(c.val) || len % 2;
			c.err = len < sv[i].min || len > 128 ? EINVAL : 0;
			run(&c);
		}
	}
	/* GET buffer length: below the result's struct is EINVAL */
	for (i = 0; i < 3; i++) {
		int sk = i == 0 ? SK_TCP4 : i == 1 ? SK_TCP6 : SK_CONN6M;
		int need = i == 1 ? 28 : 16;

		for (len = 0; len <= 40; len++) {
			memset(&c, 0, sizeof(c));
			c.sk = sk;
			c.op = GET;
			c.level = L_AUTO;
			c.val = V_IN4;
			c.len = len;
			c.pretag = true;
			c.err = len < need ? EINVAL : 0;
			run(&c);
		}
	}
}

/* Clear, then tag again: the socket becomes tagged again. */
static void retag_after_clear(void)
{
	uint8_t area[256] __attribute__((aligned(8)));
	long long b[C_N], a[C_N];
	int fd = make_sock(SK_TCP4);

	stats_now(b);
	if (tt_toa_set(fd, val_ptr(V_IN4, 0, area), 16))
		whyf("first SET: %s", tt_errstr(errno));
	if (tt_toa_clear(fd))
		whyf("clear: %s", tt_errstr(errno));
	if (tt_toa_set(fd, val_ptr(V_IN6, 0, area), 28))
		whyf("second SET: %s", tt_errstr(errno));
	check_tag(fd, SK_TCP4, V_IN6, "after tag, clear, tag:");
	stats_now(a);
	if (have_stats && (a[C_TAGGED] - b[C_TAGGED] != 2 ||
			   a[C_CLEARED] - b[C_CLEARED] != 1 ||
			   a[C_LIVE] - b[C_LIVE] != 1))
		whyf("tagged/cleared/live moved by %lld/%lld/%lld, expected 2/1/1",
		     a[C_TAGGED] - b[C_TAGGED], a[C_CLEARED] - b[C_CLEARED],
		     a[C_LIVE] - b[C_LIVE]);
	close_rst(fd);
	report("SET, clear, SET: tagged twice, cleared once, GET the last");
}

/* The 8/20-byte form follows the connection: tag before connect, GET after. */
static void form_follows_connect(void)
{
	uint8_t area[256] __attribute__((aligned(8)));
	int fd = make_sock(SK_TCP6);

	if (tt_toa_set(fd, val_ptr(V_IN4, 0, area), 16))
		whyf("SET: %s", tt_errstr(errno));
	check_tag(fd, SK_TCP6, V_IN4, "before connect:");
	if (connect(fd, (void *)&l4mapped, sizeof(l4mapped)) < 0)
		whyf("connect: %s", tt_errstr(errno));
	check_tag(fd, SK_CONN6M, V_IN4, "after connect to ::ffff:127.0.0.1:");
	close_rst(fd);
	drain_accept();
	report("tcp6 tagged with IPv4 before connect: GET sockaddr_in6, after connect to ::ffff: sockaddr_in");
}

/* A tagged socket that listens passes no tag to the sockets it accepts. */
static void accepted_not_tagged(void)
{
	uint8_t area[256] __attribute__((aligned(8)));
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int lfd, cfd, afd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&a, sizeof(a)) < 0)
		die_errno("listener");
	if (tt_toa_set(lfd, val_ptr(V_IN4, 0, area), 16))
		whyf("SET before listen: %s", tt_errstr(errno));
	if (listen(lfd, 8) < 0 || getsockname(lfd, (void *)&a, &l) < 0)
		die_errno("listen");
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (void *)&a, sizeof(a)) < 0)
		die_errno("connect");
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die_errno("accept");
	check_tag(afd, SK_CONN4, -1, "accepted socket:");
	check_tag(cfd, SK_CONN4, -1, "untagged client:");
	close_rst(afd);
	close_rst(cfd);
	close_rst(lfd);
	report("tag, then listen: the accepted socket has no tag");
}

/* A tagged socket that then listens holds no tag: nobody's client. */
static void listen_forgets(void)
{
	uint8_t area[256] __attribute__((aligned(8)));
	struct sockaddr_in a = { .sin_family = AF_INET };
	long long b[C_N], c[C_N];
	int lfd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&a, sizeof(a)) < 0)
		die_errno("listener");
	stats_now(b);
	if (tt_toa_set(lfd, val_ptr(V_IN4, 0, area), 16))
		whyf("SET before listen: %s", tt_errstr(errno));
	check_tag(lfd, SK_TCP4, V_IN4, "before listen:");
	if (listen(lfd, 8) < 0)
		die_errno("listen");
	check_tag(lfd, SK_TCP4, -1, "listening:");
	stats_now(c);
	if (have_stats && (c[C_TAGGED] - b[C_TAGGED] != 1 ||
			   c[C_CLEARED] != b[C_CLEARED] ||
			   c[C_LIVE] != b[C_LIVE]))
		whyf("tagged/cleared/live moved by %lld/%lld/%lld, expected 1/0/0",
		     c[C_TAGGED] - b[C_TAGGED], c[C_CLEARED] - b[C_CLEARED],
		     c[C_LIVE] - b[C_LIVE]);
	close_rst(lfd);
	report("tag, then listen: the listener holds no tag (sockets_live back)");
}

/*
 * tcp_disconnect() (connect(AF_UNSPEC)) ends the connection the tag was
 * for: the socket holds no tag, so a later connect() cannot send the old
 * client to another backend.
 */
static void disconnect_forgets(int sk)
{
	uint8_t area[256] __attribute__((aligned(8)));
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	long long b[C_N], c[C_N];
	int fd = make_sock(sk);	/* SK_CONN4 / SK_CONN6: connected */

	stats_now(b);
	if (tt_toa_set(fd, val_ptr(sk == SK_CONN4 ? V_IN4 : V_IN6, 0, area),
		       sk == SK_CONN4 ? 16 : 28))
		whyf("SET: %s", tt_errstr(errno));
	if (connect(fd, &un, sizeof(un)) < 0)
		whyf("connect(AF_UNSPEC): %s", tt_errstr(errno));
	check_tag(fd, sk == SK_CONN4 ? SK_TCP4 : SK_TCP6, -1,
		  "after connect(AF_UNSPEC):");
	stats_now(c);
	if (have_stats && (c[C_CLEARED] != b[C_CLEARED] ||
			   c[C_LIVE] != b[C_LIVE]))
		whyf("cleared/live moved by %lld/%lld, expected 0/0",
		     c[C_CLEARED] - b[C_CLEARED], c[C_LIVE] - b[C_LIVE]);
	close_rst(fd);
	drain_accept();
	report(sk == SK_CONN4 ?
	       "tcp4 tagged, connected, connect(AF_UNSPEC): no tag left" :
	       "tcp6 tagged, connected, connect(AF_UNSPEC): no tag left");
}

static void forget_cases(void)
{
	listen_forgets();
	disconnect_forgets(SK_CONN4);
	disconnect_forgets(SK_CONN6);
}

/* ---- hardening: odd lengths, other sockets, ended connections ------------ */
#define A L_AUTO
static const struct spec hard[] = {
	/* absurd lengths: refused before anything is read */
	{ SK_TCP4, SET, A, 0, V_IN4, 0, 4096, 1, EINVAL, 0, "(4096 bytes)" },
	{ SK_TCP6, SET, A, 0, V_IN6, 0, 4096, 1, EINVAL, 0, "(4096 bytes)" },
	{ SK_TCP4, SET, A, 0, V_IN4, 0, 0x7fffffff, 1, EINVAL, 0, "(INT_MAX bytes)" },
	{ SK_TCP6, SET, A, 0, V_IN6, 0, 0x7fffffff, 1, EINVAL, 0, "(INT_MAX bytes)" },
	{ SK_TCP4, SET, A, 0, V_NULL, 0, 0, 1, EINVAL, 0, "(NULL, 0 bytes)" },
	{ SK_TCP6, SET, A, 0, V_NULL, 0, 0, 1, EINVAL, 0, "(NULL, 0 bytes)" },
	{ SK_TCP4, SET, A, 0, V_UNMAPPED, 0, 1, 1, EINVAL, 0, "(unmapped, 1 byte)" },
	{ SK_TCP4, SET, A, 0, V_NULL, 0, 129, 1, EINVAL, 0, "(NULL, 129 bytes)" },
	/* listening sockets: no tag either way, GET says there is none */
	{ SK_LISTEN6, SET, A, 0, V_UNSPEC, 0, -1, 0, EINVAL, 0, NULL },
	{ SK_LISTEN6, SET, A, 0, V_IN4, 0, -1, 0, EINVAL, 0, NULL },
	{ SK_LISTEN4, GET, A, 0, V_IN4, 0, 128, 0, ENOENT, 0, "(listening)" },
	{ SK_LISTEN6, GET, A, 0, V_IN4, 0, 128, 0, ENOENT, 0, "(listening)" },
	/* a GET buffer of every size below the result fails the same way */
	{ SK_CONN6, GET, A, 0, V_IN4, 0, 0, 1, EINVAL, 0, NULL },
	{ SK_CONN4, GET, A, 0, V_IN4, 0, 15, 1, EINVAL, 0, NULL },
};
#undef A

/*
 * Sockets that are not TCP: SET/GET at either level, and what the kernel
 * or the module says. Nothing may be created; "invalid" moves only when
 * the call reached the module (inv_min..inv_max: MPTCP answers itself or
 * hands GET to a fallback subflow).
 */
struct foreign {
	int dom, type, proto;
	const char *name;
	int level, op;
	int err1, err2, err3;
	int inv_min, inv_max;
};

static const struct foreign foreign[] = {
	{ AF_INET, SOCK_RAW, IPPROTO_TCP, "raw4", IPPROTO_IP, SET, ENOPROTOOPT, 0, 0, 1, 1 },
	{ AF_INET, SOCK_RAW, IPPROTO_TCP, "raw4", IPPROTO_IP, GET, ENOPROTOOPT, 0, 0, 1, 1 },
	{ AF_INET, SOCK_RAW, IPPROTO_TCP, "raw4", IPPROTO_IPV6, SET, ENOPROTOOPT, 0, 0, 0, 0 },
	{ AF_INET6, SOCK_RAW, IPPROTO_TCP, "raw6", IPPROTO_IPV6, SET, ENOPROTOOPT, 0, 0, 1, 1 },
	{ AF_INET6, SOCK_RAW, IPPROTO_TCP, "raw6", IPPROTO_IPV6, GET, ENOPROTOOPT, 0, 0, 1, 1 },
	{ AF_INET6, SOCK_RAW, IPPROTO_TCP, "raw6", IPPROTO_IP, SET, ENOPROTOOPT, 0, 0, 0, 0 },
	{ AF_INET6, SOCK_RAW, IPPROTO_TCP, "raw6", IPPROTO_IP, GET, ENOPROTOOPT, 0, 0, 0, 0 },
	{ AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, "udplite4", IPPROTO_IP, SET, ENOPROTOOPT, 0, 0, 1, 1 },
	{ AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE, "udplite6", IPPROTO_IPV6, SET, ENOPROTOOPT, 0, 0, 1, 1 },
	{ AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "ping4", IPPROTO_IP, SET, ENOPROTOOPT, 0, 0, 1, 1 },
	{ AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "ping4", IPPROTO_IP, GET, ENOPROTOOPT, 0, 0, 1, 1 },
	{ AF_INET, SOCK_STREAM, 262 /* MPTCP */, "mptcp4", IPPROTO_IP, SET, ENOPROTOOPT, EOPNOTSUPP, 0, 0, 1 },
	{ AF_INET, SOCK_STREAM, 262, "mptcp4", IPPROTO_IP, GET, ENOPROTOOPT, EOPNOTSUPP, ENOENT, 0, 1 },
	{ AF_INET6, SOCK_STREAM, 262, "mptcp6", IPPROTO_IPV6, SET, ENOPROTOOPT, EOPNOTSUPP, 0, 0, 1 },
	{ AF_INET6, SOCK_STREAM, 262, "mptcp6", IPPROTO_IPV6, GET, ENOPROTOOPT, EOPNOTSUPP, ENOENT, 0, 1 },
	{ AF_INET, SOCK_STREAM, 132 /* SCTP */, "sctp4", IPPROTO_IP, SET, ENOPROTOOPT, 0, 0, 1, 1 },
	{ AF_UNIX, SOCK_STREAM, 0, "unix", IPPROTO_IP, SET, EOPNOTSUPP, 0, 0, 0, 0 },
	{ AF_UNIX, SOCK_STREAM, 0, "unix", IPPROTO_IP, GET, EOPNOTSUPP, 0, 0, 0, 0 },
	{ AF_PACKET, SOCK_RAW, 0, "packet", IPPROTO_IP, SET, ENOPROTOOPT, 0, 0, 0, 0 },
	{ AF_NETLINK, SOCK_RAW, 0, "netlink", IPPROTO_IP, SET, ENOPROTOOPT, 0, 0, 0, 0 },
};

static void foreign_sockets(void)
{
	uint8_t area[256] __attribute__((aligned(8)));
	long long b[C_N], a[C_N];
	struct sockaddr_storage got;
	char what[200];
	socklen_t gl;
	size_t i;
	int fd, err, k, v;

	for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		const struct foreign *f = &foreign[i];

		snprintf(what, sizeof(what), "%s %s %s -> %s%s%s",
			 f->op == SET ? "SET" : "GET", f->name,
			 level_name(f->level), tt_errno_name(f->err1),
			 f->err2 ? " or " : "",
			 f->err2 ? tt_errno_name(f->err2) : "");
		fd = socket(f->dom, f->type, f->proto);
		if (fd < 0 && errno == EACCES && f->proto == IPPROTO_ICMP) {
			/* ping sockets: allow root's group in this netns */
			FILE *pg = fopen("/proc/sys/net/ipv4/ping_group_range", "w");

			if (pg) {
				fputs("0 0\n", pg);
				fclose(pg);
			}
			fd = socket(f->dom, f->type, f->proto);
		}
		if (fd < 0) {
			skip(what, tt_errstr(errno));
			continue;
		}
		v = f->level == IPPROTO_IPV6 ? V_IN6 : V_IN4;
		stats_now(b);
		if (f->op == SET) {
			err = setsockopt(fd, f->level, SDP_TOA_SO_SET,
					 val_ptr(v, 0, area), val_len(v)) < 0 ?
			      errno : 0;
		} else {
			gl = sizeof(got);
			err = getsockopt(fd, f->level, SDP_TOA_SO_GET, &got,
					 &gl) < 0 ? errno : 0;
		}
		stats_now(a);
		if (!err || (err != f->err1 && err != f->err2 &&
			     err != f->err3))
			whyf("got %s", err ? tt_errstr(err) : "success");
		for (k = 0; k < C_N; k++) {
			long long d = a[k] - b[k];

			if (k == C_INVALID ? d < f->inv_min || d > f->inv_max :
					     d != 0)
				whyf("%s moved by %lld", c_name[k], d);
		}
		close(fd);
		report(what);
	}
}

/* TCP sockets whose connection is over (or never was): SET works like on a
 * fresh socket; the tag goes with the socket. A closed descriptor: EBADF. */
enum ended { E_CLOSED_FD, E_REFUSED, E_RESET, E_SHUTDOWN, E_PEER_FIN,
	     E_DISCONNECTED, E_N };

static void ended_sockets(void)
{
	static const char *const ename[E_N] = {
		"closed descriptor", "refused connect", "connection reset by the peer",
		"shut down both ways", "peer closed (CLOSE_WAIT)",
		"disconnected (connect AF_UNSPEC)",
	};
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	uint8_t area[256] __attribute__((aligned(8)));
	long long b[C_N], a[C_N], base[C_N];
	socklen_t l = sizeof(a4);
	char buf[16], what[200];
	int e, fd, afd, tmp, err, k;
	double end;

	for (e = 0; e < E_N; e++) {
		snprintf(what, sizeof(what), "SET on a tcp4 socket, %s -> %s",
			 ename[e], e == E_CLOSED_FD ? "EBADF" : "ok");
		stats_now(base);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die_errno("socket");
		afd = -1;
		switch (e) {
		case E_CLOSED_FD:
			close(fd);
			break;
		case E_REFUSED:
			/* a port nobody listens on: bind one, close it */
			tmp = socket(AF_INET, SOCK_STREAM, 0);
			a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			a4.sin_port = 0;
			if (tmp < 0 || bind(tmp, (void *)&a4, sizeof(a4)) ||
			    getsockname(tmp, (void *)&a4, &l))
				die_errno("free port");
			close(tmp);
			if (connect(fd, (void *)&a4, sizeof(a4)) == 0 ||
			    errno != ECONNREFUSED)
				whyf("setup: connect: %s, expected ECONNREFUSED",
				     tt_errstr(errno));
			break;
		default:
			if (connect(fd, (void *)&l4addr, sizeof(l4addr)))
				die_errno("connect");
			end = tt_now() + 2;
			while ((afd = accept(lfd4, NULL, NULL)) < 0 &&
			       errno == EAGAIN && tt_now() < end)
				tt_sleep(0.01);
			if (afd < 0)
				die_errno("accept");
			if (e == E_RESET) {
				close_rst(afd);
				afd = -1;
				/* the RST arrives: recv says so */
				if (recv(fd, buf, sizeof(buf), 0) >= 0 ||
				    errno != ECONNRESET)
					whyf("setup: recv after RST: %s",
					     tt_errstr(errno));
			} else if (e == E_SHUTDOWN) {
				shutdown(fd, SHUT_RDWR);
			} else if (e == E_PEER_FIN) {
				close(afd);
				afd = -1;
				if (recv(fd, buf, sizeof(buf), 0) != 0)
					whyf("setup: no EOF after the peer's FIN");
			} else if (e == E_DISCONNECTED) {
				if (connect(fd, &un, sizeof(un)))
					whyf("setup: connect(AF_UNSPEC): %s",
					     tt_errstr(errno));
			}
		}
		stats_now(b);
		/* not tt_toa_set(): it asks the (closed) descriptor its family */
		err = setsockopt(fd, IPPROTO_IP, SDP_TOA_SO_SET,
				 val_ptr(V_IN4, 0, area), 16) < 0 ? -errno : 0;
		stats_now(a);
		if (e == E_CLOSED_FD) {
			if (err != -EBADF)
				whyf("got %s, expected EBADF",
				     err ? tt_errstr(-err) : "success");
			for (k = 0; k < C_N; k++)
				if (a[k] != b[k])
					whyf("%s moved by %lld", c_name[k],
					     a[k] - b[k]);
			report(what);
			continue;
		}
		if (err)
			whyf("got %s, expected success", tt_errstr(-err));
		if (have_stats && (a[C_TAGGED] - b[C_TAGGED] != 1 ||
				   a[C_LIVE] - b[C_LIVE] != 1 ||
				   a[C_INVALID] != b[C_INVALID]))
			whyf("tagged/live/invalid moved by %lld/%lld/%lld, expected 1/1/0",
			     a[C_TAGGED] - b[C_TAGGED], a[C_LIVE] - b[C_LIVE],
			     a[C_INVALID] - b[C_INVALID]);
		check_tag(fd, SK_TCP4, V_IN4, "afterwards");
		if (e == E_DISCONNECTED) {
			/* the socket connects again: its tag is still there */
			if (connect(fd, (void *)&l4addr, sizeof(l4addr)))
				whyf("reconnect: %s", tt_errstr(errno));
			check_tag(fd, SK_CONN4, V_IN4, "after reconnecting");
		}
		close_rst(fd);
		if (afd >= 0)
			close_rst(afd);
		drain_accept();
		end = tt_now() + 2;
		do {
			stats_now(a);
			if (a[C_LIVE] == base[C_LIVE])
				break;
			tt_sleep(0.01);
		} while (tt_now() < end);
		if (a[C_LIVE] != base[C_LIVE])
			whyf("after close sockets_live is %lld, was %lld",
			     a[C_LIVE], base[C_LIVE]);
		report(what);
	}
}

/* Every address family but AF_UNSPEC/INET/INET6: EAFNOSUPPORT, nothing set. */
static void family_sweep(void)
{
	struct spec c;
	int fam, sk;

	for (sk = SK_TCP4; sk <= SK_TCP6; sk++) {
		for (fam = 1; fam <= 48; fam++) {
			if (fam == AF_INET || fam == AF_INET6)
				continue;
			memset(&c, 0, sizeof(c));
			c.sk = sk;
			c.op = SET;
			c.level = L_AUTO;
			c.val = V_FAM;
			c.fam = fam;
			c.len = 28;
			c.pretag = fam % 2;
			c.err = EAFNOSUPPORT;
			run(&c);
		}
	}
}

/* GET's length argument itself bad: negative, NULL, unmapped. */
static void get_len_cases(void)
{
	static const struct {
		int sk, how, err, inv;
		const char *what;
	} t[] = {
		/* do_ip_getsockopt refuses a negative length itself */
		{ SK_TCP4, 0, EINVAL, 0, "GET tcp4 (tagged) len=-1 -> EINVAL (kernel)" },
		/* ipv6_getsockopt passes it on: the module refuses it */
		{ SK_TCP6, 0, EINVAL, 1, "GET tcp6 (tagged) len=-1 -> EINVAL" },
		{ SK_TCP4, 1, EFAULT, 0, "GET tcp4 (tagged) optlen=NULL -> EFAULT (kernel)" },
		{ SK_TCP6, 1, EFAULT, 0, "GET tcp6 (tagged) optlen=NULL -> EFAULT (kernel)" },
		{ SK_TCP4, 2, EFAULT, 0, "GET tcp4 (tagged) optlen unmapped -> EFAULT (kernel)" },
		{ SK_TCP6, 2, EFAULT, 0, "GET tcp6 (tagged) optlen unmapped -> EFAULT (kernel)" },
		/* the result does not fit in what is mapped */
		{ SK_TCP4, 3, EFAULT, 1, "GET tcp4 (tagged) buffer straddling an unmapped page -> EFAULT" },
		{ SK_TCP6, 3, EFAULT, 1, "GET tcp6 (tagged) buffer straddling an unmapped page -> EFAULT" },
	};
	uint8_t area[256] __attribute__((aligned(8)));
	struct sockaddr_storage got;
	long long b[C_N], a[C_N];
	socklen_t gl, *lp;
	void *p;
	size_t i;
	int fd, err, k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fd = make_sock(t[i].sk);
		if (tt_toa_set(fd, val_ptr(V_T0, 0, area), 16))
			die("setup: tag: %s", tt_errstr(errno));
		p = &got;
		lp = &gl;
		gl = sizeof(got);
		switch (t[i].how) {
		case 0: gl = (socklen_t)-1; break;
		case 1: lp = NULL; break;
		case 2: lp = (socklen_t *)(guard + pagesz); break;
		case 3: p = guard + pagesz - 8; break;
		}
		stats_now(b);
		err = getsockopt(fd, t[i].sk == SK_TCP4 ? IPPROTO_IP :
			IPPROTO_IPV6, SDP_TOA_SO_GET, p, lp) < 0 ? errno : 0;
		stats_now(a);
		if (err != t[i].err)
			whyf("got %s", err ? tt_errstr(err) : "success");
		for (k = 0; k < C_N; k++)
			if (a[k] - b[k] != (k == C_INVALID ? t[i].inv : 0))
				whyf("%s moved by %lld", c_name[k], a[k] - b[k]);
		check_tag(fd, t[i].sk, V_T0, "afterwards (unchanged)");
		close_rst(fd);
		report(t[i].what);
	}
}

static void hardening(void)
{
	size_t i;

	for (i = 0; i < sizeof(hard) / sizeof(hard[0]); i++)
		run(&hard[i]);
	foreign_sockets();
	ended_sockets();
	family_sweep();
	get_len_cases();
}

/* ---- module not loaded -------------------------------------------------- */
static void unloaded(void)
{
	static const struct spec c[] = {
		{ SK_TCP4, SET, L_AUTO, 0, V_IN4, 0, -1, 0, ENOPROTOOPT, 0, NULL },
		{ SK_TCP4, GET, L_AUTO, 0, V_IN4, 0, 128, 0, ENOPROTOOPT, 0, NULL },
		{ SK_TCP6, SET, L_AUTO, 0, V_IN6, 0, -1, 0, ENOPROTOOPT, 0, NULL },
		{ SK_TCP6, GET, L_AUTO, 0, V_IN6, 0, 128, 0, ENOPROTOOPT, 0, NULL },
		{ SK_TCP6, SET, IPPROTO_IP, 0, V_IN4, 0, -1, 0, ENOPROTOOPT, 0, NULL },
		{ SK_CONN4, SET, L_AUTO, 0, V_IN4, 0, -1, 0, ENOPROTOOPT, 0, NULL },
		{ SK_CONN6, SET, L_AUTO, 0, V_UNSPEC, 0, -1, 0, ENOPROTOOPT, 0, NULL },
	};
	size_t i;

	if (access("/sys/module/sdp_toa", F_OK) == 0)
		whyf("/sys/module/sdp_toa exists");
	if (access(SDP_TOA_STATS_PATH, F_OK) == 0)
		whyf("%s exists", SDP_TOA_STATS_PATH);
	if (access(TT_STATS_INIT_PATH, F_OK) == 0)
		whyf("%s exists", TT_STATS_INIT_PATH);
	report("module not loaded: no /sys/module/sdp_toa, no stats file");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		run(&c[i]);
}

/* ---- privileges --------------------------------------------------------- */
static const char *as_user, *as_groups;

static bool user_allowed(void)
{
	char buf[64], list[256], *tok, *save = NULL;
	const char *colon = strchr(as_user, ':');
	long gid;
	FILE *f;

	f = fopen(PARAM_DIR "/allowed_gid", "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		die_errno("read %s/allowed_gid", PARAM_DIR);
	fclose(f);
	gid = strtol(buf, NULL, 10);
	printf("# allowed_gid=%ld, running as %s groups=%s\n", gid, as_user,
	       as_groups ? as_groups : "-");
	if (gid < 0)
		return false;
	if (colon && strtol(colon + 1, NULL, 10) == gid)
		return true;
	snprintf(list, sizeof(list), "%s", as_groups ? as_groups : "");
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (strtol(tok, NULL, 10) == gid)
			return true;
	return false;
}

enum uop {
	U_OWN_SOCK,	/* the user creates a socket and tags it */
	U_OWN_SOCK6,
	U_ROOT_SOCK,	/* tags a socket root created (untagged) */
	U_ROOT_TAGGED,	/* re-tags a socket root tagged with T0 */
	U_ROOT_CLEAR,	/* clears root's T0 */
	U_USERNS_NETNS,	/* in a new userns + netns: own socket there */
	U_USERNS_ONLY,	/* new userns, socket in the initial netns */
};

/*
 * In a child that drops to the user: do @op, exit with the errno (0 = ok,
 * 200 + errno for setup failures, 255 = skip).
 */
static int user_call(int op, int fd)
{
	uint8_t area[256] __attribute__((aligned(8)));
	struct sockaddr_storage got;
	socklen_t gl = sizeof(got);
	pid_t pid;
	int st, sfd, err;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid) {
		if (waitpid(pid, &st, 0) < 0)
			die_errno("waitpid");
		return WIFEXITED(st) ? WEXITSTATUS(st) : 254;
	}
	tt_drop_privs(as_user, as_groups);
	if (op == U_USERNS_NETNS || op == U_USERNS_ONLY) {
		int flags = CLONE_NEWUSER |
			    (op == U_USERNS_NETNS ? CLONE_NEWNET : 0);

		if (op == U_USERNS_ONLY)
			fd = socket(AF_INET, SOCK_STREAM, 0);
		if (unshare(flags) < 0)
			_exit(255);
	}
	switch (op) {
	case U_OWN_SOCK: case U_USERNS_NETNS: case U_OWN_SOCK6:
		sfd = socket(op == U_OWN_SOCK6 ? AF_INET6 : AF_INET,
			     SOCK_STREAM, 0);
		if (sfd < 0)
			_exit(200 + errno);
		err = tt_toa_set(sfd, val_ptr(op == U_OWN_SOCK6 ? V_IN6 : V_IN4,
					      0, area),
				 op == U_OWN_SOCK6 ? 28 : 16);
		/* the user reads back its own tag */
		if (!err && tt_toa_get(sfd, &got, &gl))
			_exit(199);
		_exit(-err);
	case U_ROOT_SOCK: case U_ROOT_TAGGED: case U_USERNS_ONLY:
		_exit(-tt_toa_set(fd, val_ptr(V_IN4, 0, area), 16));
	case U_ROOT_CLEAR:
		_exit(-tt_toa_clear(fd));
	}
	_exit(253);
}

static void privileges(void)
{
	static const struct { int op; const char *what; } t[] = {
		{ U_OWN_SOCK, "user tags its own tcp4 socket" },
		{ U_OWN_SOCK6, "user tags its own tcp6 socket" },
		{ U_ROOT_SOCK, "user tags a socket root created" },
		{ U_ROOT_TAGGED, "user re-tags a socket root tagged" },
		{ U_ROOT_CLEAR, "user clears a socket root tagged" },
		{ U_USERNS_ONLY, "user with CAP_NET_ADMIN in its own userns tags a socket of the initial netns" },
		{ U_USERNS_NETNS, "user tags a socket in a netns its own userns owns (CAP_NET_ADMIN there)" },
	};
	uint8_t area[256] __attribute__((aligned(8)));
	long long b[C_N], a[C_N], want[C_N];
	bool allowed = user_allowed();
	char what[256];
	size_t i;
	int fd, err, exp, k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int op = t[i].op;
		bool pre = op == U_ROOT_TAGGED || op == U_ROOT_CLEAR;

		fd = -1;
		if (op == U_ROOT_SOCK || pre) {
			fd = make_sock(SK_TCP4);
			if (pre && tt_toa_set(fd, val_ptr(V_T0, 0, area), 16))
				die("root cannot tag: %s", tt_errstr(errno));
		}
		exp = allowed || op == U_USERNS_NETNS ? 0 : EPERM;
		snprintf(what, sizeof(what), "%s -> %s", t[i].what,
			 exp ? "EPERM" : "ok");
		stats_now(b);
		err = user_call(op, fd);
		stats_now(a);
		if (err == 255) {
			if (fd >= 0)
				close_rst(fd);
			skip(what, "unshare() not permitted here");
			continue;
		}
		if (err != exp)
			whyf("got %s, expected %s",
			     err == 0 ? "success" :
			     err >= 200 ? "a setup failure" : tt_errstr(err),
			     exp ? "EPERM" : "success");
		memset(want, 0, sizeof(want));
		if (exp == EPERM) {
			want[C_DENIED] = 1;
		} else if (op == U_ROOT_CLEAR) {
			want[C_CLEARED] = 1;
			want[C_LIVE] = -1;
		} else if (op != U_ROOT_TAGGED) {
			want[C_TAGGED] = 1;
		}
		/* sockets_live: the user's own sockets are closed by now;
		 * checked once at the end */
		if (err == exp)
			for (k = 0; k < C_N; k++)
				if (k != C_LIVE && a[k] - b[k] != want[k])
					whyf("%s moved by %lld, expected %lld",
					     c_name[k], a[k] - b[k], want[k]);
		if (fd >= 0) {
			/* root checks the socket: changed only if allowed */
			if (op == U_ROOT_SOCK)
				check_tag(fd, SK_TCP4, exp ? -1 : V_IN4, "root's");
			if (op == U_ROOT_TAGGED)
				check_tag(fd, SK_TCP4, exp ? V_T0 : V_IN4, "root's");
			if (op == U_ROOT_CLEAR)
				check_tag(fd, SK_TCP4, exp ? V_T0 : -1, "root's");
			close_rst(fd);
		}
		report(what);
	}
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: toa_api                         (root, module loaded)\n"
"       toa_api --unloaded              (module not loaded)\n"
"       toa_api --as-user UID:GID [--groups G1,G2]\n"
"       toa_api --only-forget           (listen and disconnect drop the tag)\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "unloaded", 0, 0, 'U' }, { "as-user", 1, 0, 'u' },
		{ "groups", 1, 0, 'g' }, { "help", 0, 0, 'h' },
		{ "only-forget", 0, 0, 'F' },
		{ 0, 0, 0, 0 },
	};
	struct tt_stats st;
	long long b[C_N], a[C_N];
	bool unload = false, only_forget = false;
	size_t i;
	int c, err;

	tt_set_prog(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'U': unload = true; break;
		case 'u': as_user = optarg; break;
		case 'g': as_groups = optarg; break;
		case 'F': only_forget = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (geteuid() != 0)
		die("run me as root (--as-user drops privileges itself)");
	lo_up();
	listeners();
	guard_init();

	if (unload) {
		have_stats = false;
		unloaded();
	} else {
		err = tt_stats_read(&st);
		if (err)
			die("%s: %s%s", SDP_TOA_STATS_PATH, tt_errstr(-err),
			    tt_toa_hint(ENOPROTOOPT));
		if (st.nfound != TT_NSTATS)
			die("%s has %d of the %d counters", SDP_TOA_STATS_PATH,
			    st.nfound, TT_NSTATS);
		have_stats = true;
		stats_now(b);
		if (as_user) {
			privileges();
		} else if (only_forget) {
			forget_cases();
		} else {
			for (i = 0; i < sizeof(basic) / sizeof(basic[0]); i++)
				run(&basic[i]);
			sweeps();
			retag_after_clear();
			form_follows_connect();
			accepted_not_tagged();
			forget_cases();
			hardening();
		}
		stats_now(a);
		if (a[C_LIVE] != b[C_LIVE])
			whyf("sockets_live %lld at the end, %lld at the start",
			     a[C_LIVE], b[C_LIVE]);
		report("sockets_live back where it started");
	}
	printf("%d passed, %d failed", n_pass, n_fail);
	if (n_skip)
		printf(", %d skipped", n_skip);
	printf("\n");
	return n_fail ? 1 : 0;
}
